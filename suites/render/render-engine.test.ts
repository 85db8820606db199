import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { printConfigMap, writeFakeHelm } from '../../helpers/helm/fake-helm.ts'
import { loadChart, type ChartUnderTest } from '../../helpers/render/chart.ts'
import { readRenderTimeoutMs, renderChart, renderKey, type RenderRequest } from '../../helpers/render/render-chart.ts'

let chart: ChartUnderTest

beforeAll(async () => {
  chart = await loadChart('fixtures/charts/reference')
})

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

async function scratchDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'render-engine-'))
}

function namesOf(result: Awaited<ReturnType<typeof renderChart>>): string[] {
  return result.ok ? result.documents.map((document) => document.object.metadata?.name ?? '') : [`failed: ${result.message}`]
}

/** True when the process has exited: gone, or a zombie not yet reaped. */
function hasExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

describe('render cache', () => {
  test('binaries with one version get their own entries', async () => {
    vi.stubEnv('RENDER_CACHE_DIR', await scratchDir())
    const first = await writeFakeHelm({ template: printConfigMap('from-first') })
    const second = await writeFakeHelm({ template: printConfigMap('from-second') })

    const firstResult = await renderChart({ chart, helm: first, values: { identity: 1 }, kubeVersion: '1.35' })
    const secondResult = await renderChart({ chart, helm: second, values: { identity: 1 }, kubeVersion: '1.35' })

    expect(namesOf(firstResult)).toEqual(['from-first'])
    expect(namesOf(secondResult)).toEqual(['from-second'])
  })

  test('key uses the recorded sha256 of the binary', async () => {
    const helm = await writeFakeHelm({ template: printConfigMap('a') })
    const request: RenderRequest = { chart, helm, values: {}, kubeVersion: '1.35' }

    const keyA = renderKey({ ...request, helm: { ...helm, sha256: 'a'.repeat(64) } })
    const keyB = renderKey({ ...request, helm: { ...helm, sha256: 'b'.repeat(64) } })

    expect(keyA).not.toBe(keyB)
  })

  test.each([
    { entry: '{"exitCode": 0, "stdout": "apiVersion: v1', label: 'truncated JSON' },
    { entry: '{}', label: 'empty object' },
    { entry: '{"exitCode": "0", "stdout": 1, "stderr": []}', label: 'wrong shape' },
  ])('corrupt entry ($label) renders again', async ({ entry, label }) => {
    const dir = await scratchDir()
    vi.stubEnv('RENDER_CACHE_DIR', dir)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const helm = await writeFakeHelm({ template: printConfigMap('fresh') })
    const request: RenderRequest = { chart, helm, values: { corrupt: label }, kubeVersion: '1.35' }
    const key = renderKey(request)
    const file = path.join(dir, key.slice(0, 2), `${key}.json`)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, entry)

    const result = await renderChart(request)

    expect(namesOf(result)).toEqual(['fresh'])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain(`render cache entry ${file} is corrupt`)
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ exitCode: 0 })
  })

  test('unwritable cache folder warns once and still renders', async () => {
    const notAFolder = path.join(await scratchDir(), 'file')
    await writeFile(notAFolder, '')
    vi.stubEnv('RENDER_CACHE_DIR', notAFolder)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const helm = await writeFakeHelm({ template: printConfigMap('uncached') })

    const first = await renderChart({ chart, helm, values: { unwritable: 1 }, kubeVersion: '1.35' })
    const second = await renderChart({ chart, helm, values: { unwritable: 2 }, kubeVersion: '1.35' })

    expect(namesOf(first)).toEqual(['uncached'])
    expect(namesOf(second)).toEqual(['uncached'])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/render cache .*file is not writable \(ENOTDIR\); continuing without cache/)
  })
})

describe('RENDER_TIMEOUT_MS', () => {
  test.each(['abc', '0', '-5', '1.5', '', '1e3'])('rejects %j', (value) => {
    expect(() => readRenderTimeoutMs({ RENDER_TIMEOUT_MS: value })).toThrow(/expected a positive whole number of milliseconds/)
  })

  test('reads a whole number and defaults to 60000', () => {
    expect(readRenderTimeoutMs({ RENDER_TIMEOUT_MS: '1500' })).toBe(1500)
    expect(readRenderTimeoutMs({})).toBe(60_000)
  })
})

describe('helm processes', () => {
  test('timeout kills what helm started', async () => {
    vi.stubEnv('RENDER_CACHE', 'off')
    const dir = await scratchDir()
    const pidFile = path.join(dir, 'child.pid')
    const helm = await writeFakeHelm({ dir, template: `sleep 30 &\necho $! > ${pidFile}\nsleep 30` })

    const result = await renderChart({ chart, helm, values: { hang: 1 }, kubeVersion: '1.35', timeoutMs: 500 })

    expect(result.ok ? '' : result.message).toMatch(/timed out after 500 ms/)
    expect(hasExited(Number(await readFile(pidFile, 'utf8')))).toBe(true)
  })

  test('normal run returns and leaves nothing running', async () => {
    vi.stubEnv('RENDER_CACHE', 'off')
    const dir = await scratchDir()
    const pidFile = path.join(dir, 'child.pid')
    const helm = await writeFakeHelm({ dir, template: `sleep 30 &\necho $! > ${pidFile}\n${printConfigMap('done')}` })
    const startedAt = Date.now()

    const result = await renderChart({ chart, helm, values: { background: 1 }, kubeVersion: '1.35' })

    expect(namesOf(result)).toEqual(['done'])
    expect(Date.now() - startedAt).toBeLessThan(10_000)
    expect(existsSync(pidFile)).toBe(true)
    expect(hasExited(Number(await readFile(pidFile, 'utf8')))).toBe(true)
  })
})
