import { afterEach, describe, expect, test, vi } from 'vitest'
import { progressEnabled, SuiteProgress } from '../../helpers/suite/progress.ts'

describe('SuiteProgress', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('prints one line when the last cell renders', () => {
    const lines: string[] = []
    const progress = new SuiteProgress('demo', 3, (line) => lines.push(line), true)

    progress.start()
    for (const cell of ['a', 'b', 'a', 'c']) progress.cellRendered(cell)

    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^✓ demo: 3\/3 cells rendered in \d+\.\ds$/)
  })

  test('prints nothing when disabled', () => {
    const lines: string[] = []
    const progress = new SuiteProgress('demo', 1, (line) => lines.push(line), false)

    progress.cellRendered('a')

    expect(lines).toEqual([])
  })

  test('prints interim lines by default', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const progress = new SuiteProgress('demo', 2, (line) => lines.push(line), progressEnabled({}))

    progress.start()
    progress.cellRendered('a')
    vi.advanceTimersByTime(10_000)

    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^… demo: 1\/2 cells rendered, 10\.0s elapsed$/)
  })

  test('stops interim lines after the last cell', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const progress = new SuiteProgress('demo', 1, (line) => lines.push(line), true, 100)

    progress.start()
    progress.cellRendered('a')
    vi.advanceTimersByTime(1_000)

    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^✓ demo/)
  })

  test('prints no interim lines in CI', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const progress = new SuiteProgress('demo', 2, (line) => lines.push(line), progressEnabled({ CI: 'true' }), 100)

    progress.start()
    vi.advanceTimersByTime(1_000)
    progress.stop()

    expect(lines).toEqual([])
  })

  test('is on outside CI and in CI only with VERBOSE=1', () => {
    expect(progressEnabled({})).toBe(true)
    expect(progressEnabled({ CI: 'true' })).toBe(false)
    expect(progressEnabled({ CI: 'true', VERBOSE: '1' })).toBe(true)
  })
})
