import { cp, mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { unavailableHelmReason, type HelmBinary } from '../../helpers/helm/binaries.ts'
import { loadChart } from '../../helpers/render/chart.ts'
import { readSuiteConfig, sharedChart } from '../../helpers/suite/config.ts'
import type { MatrixAxes } from '../../helpers/suite/matrix.ts'
import { CheckFailure, prepareRenderSuite, unknownInvalidFields, type RenderSuite } from '../../helpers/suite/render-suite.ts'

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

const BASE = { ociArtifacts: { name: 'perses-manifests', image: { reference: 'registry.example.com/m:v1' }, mountPath: '/etc/perses/provisioning' } }

function suiteWith(fields: Partial<RenderSuite>): RenderSuite {
  return { name: 'setup demo', base: BASE, axes: {}, checks: [], ...fields }
}

describe('suite setup', () => {
  test.each([
    { axes: { helm: [] }, message: 'matrix axis helm has no values' },
    { axes: { kube: [] }, message: 'matrix axis kube has no values' },
  ])('rejects $axes without a TypeError', async ({ axes, message }) => {
    await expect(prepareRenderSuite(suiteWith({ axes: axes as MatrixAxes }))).rejects.toThrow(message)
  })

  test('rejects MATRIX=banana', async () => {
    vi.stubEnv('MATRIX', 'banana')

    await expect(prepareRenderSuite(suiteWith({}))).rejects.toThrow(/matrix mode "banana" is invalid/)
  })

  test('rejects an invalid RENDER_TIMEOUT_MS', async () => {
    vi.stubEnv('RENDER_TIMEOUT_MS', 'abc')

    await expect(prepareRenderSuite(suiteWith({}))).rejects.toThrow(/expected a positive whole number of milliseconds/)
  })

  test('rejects an invalid cell with an empty field', async () => {
    const invalid = [{ name: 'no field', values: {}, field: '' }]

    await expect(prepareRenderSuite(suiteWith({ invalid }))).rejects.toThrow(/invalid cells "no field" have an empty field/)
  })

  test('rejects an empty PERSES_CHART', () => {
    expect(() => readSuiteConfig({ PERSES_CHART: '' })).toThrow(/PERSES_CHART is set but empty/)
  })

  test('prints the chart label once', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'suite-setup-')), 'perses')
    await cp('fixtures/charts/reference', dir, { recursive: true })
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})

    const chart = await sharedChart(dir)
    await sharedChart(dir)

    expect(info).toHaveBeenCalledTimes(1)
    expect(info).toHaveBeenCalledWith(`chart: ${chart.label}`)
  })

  test('unknown invalid-cell field is listed', async () => {
    const chart = await loadChart('fixtures/charts/reference')
    const invalid = [
      { name: 'typo', values: {}, field: 'ociArtifact.name' },
      { name: 'fine', values: {}, field: 'ociArtifacts.name' },
    ]

    expect(unknownInvalidFields(chart, invalid)).toEqual([{ name: 'typo', field: 'ociArtifact.name' }])
  })
})

describe('helm skip reason', () => {
  const helm4: HelmBinary = { major: 4, version: 'v4.1.4', path: 'helm', source: 'npm' }

  test('names HELM_BIN when it is set', () => {
    expect(unavailableHelmReason(3, [helm4], { HELM_BIN: '/opt/helm4' })).toBe('helm 3 not available: HELM_BIN=/opt/helm4 selects helm 4')
  })

  test('leaves HELM_BIN out when unset', () => {
    expect(unavailableHelmReason(3, [helm4], {})).not.toContain('HELM_BIN')
  })
})

describe('check failure', () => {
  test('keeps the message and no stack frames', () => {
    const failure = new CheckFailure('pull-policy failed on chart x, cell y:\n  - expected Always, found Never')

    expect(failure.message).toBe('pull-policy failed on chart x, cell y:\n  - expected Always, found Never')
    expect(failure.stack).not.toMatch(/\n\s+at /)
    expect(failure).toBeInstanceOf(Error)
  })
})
