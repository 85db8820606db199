import { describe, expect, test } from 'vitest'
import { progressEnabled, SuiteProgress } from '../../helpers/suite/progress.ts'

describe('SuiteProgress', () => {
  test('prints one line when the last cell renders', () => {
    const lines: string[] = []
    const progress = new SuiteProgress('demo', 3, (line) => lines.push(line), true, false)

    progress.start()
    for (const cell of ['a', 'b', 'a', 'c']) progress.cellRendered(cell)

    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^✓ demo: 3\/3 cells rendered in \d+\.\ds$/)
  })

  test('prints nothing when disabled', () => {
    const lines: string[] = []
    const progress = new SuiteProgress('demo', 1, (line) => lines.push(line), false, false)

    progress.cellRendered('a')

    expect(lines).toEqual([])
  })

  test('is on outside CI and in CI only with VERBOSE=1', () => {
    expect(progressEnabled({})).toBe(true)
    expect(progressEnabled({ CI: 'true' })).toBe(false)
    expect(progressEnabled({ CI: 'true', VERBOSE: '1' })).toBe(true)
  })
})
