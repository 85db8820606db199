import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { readHelmVersion, resolveHelmBinaries } from '../../helpers/helm/binaries.ts'
import { writeFakeHelm } from '../../helpers/helm/fake-helm.ts'
import { loadChart } from '../../helpers/render/chart.ts'
import { renderChart } from '../../helpers/render/render-chart.ts'
import { readValuesFile } from '../../helpers/render/values-file.ts'
import { sharedHelmBinaries } from '../../helpers/suite/config.ts'
import { unknownAxes } from '../../helpers/suite/render-suite.ts'

const execFileAsync = promisify(execFile)

async function scratchDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'bad-input-'))
}

describe('bad input', () => {
  test('missing chart path names the path and the setting', async () => {
    await expect(loadChart('fixtures/charts/no-such-chart')).rejects.toThrow(/chart fixtures\/charts\/no-such-chart not found.*PERSES_CHART/)
  })

  test('folder without Chart.yaml is not a chart', async () => {
    const dir = await scratchDir()

    await expect(loadChart(dir)).rejects.toThrow(/is not a Helm chart: the folder has no Chart.yaml/)
  })

  test('corrupt .tgz names the archive', async () => {
    const archive = path.join(await scratchDir(), 'perses-1.0.0.tgz')
    await writeFile(archive, 'not gzip')

    await expect(loadChart(archive)).rejects.toThrow(/perses-1.0.0.tgz could not be unpacked as a .tgz/)
  })

  test('corrupt .tgz keeps the reason from tar', async () => {
    const archive = path.join(await scratchDir(), 'perses-1.0.0.tgz')
    await writeFile(archive, 'not gzip')

    const message = await loadChart(archive).then(() => '', (error: Error) => error.message)

    expect(message).toMatch(/could not be unpacked as a .tgz: .*not in gzip format/)
    expect(message).not.toContain(os.tmpdir() + path.sep + 'perses-chart-unpack')
    expect(message).not.toContain('Command failed')
  })

  test('corrupt .tgz leaves no unpack folder', async () => {
    const archive = path.join(await scratchDir(), 'perses-1.0.0.tgz')
    await writeFile(archive, 'not gzip')
    // chart-* is the prefix of the per-load folders that used to pile up.
    const unpackFolders = async () => (await readdir(os.tmpdir())).filter((entry) => /^(chart-|perses-chart-unpack-)/.test(entry))
    const before = await unpackFolders()

    await expect(loadChart(archive)).rejects.toThrow(/could not be unpacked/)

    expect(await unpackFolders()).toEqual(before)
  })

  test('packaged chart unpacks once per archive', async () => {
    const archive = path.join(await scratchDir(), 'perses-reference.tgz')
    await execFileAsync('tar', ['-czf', archive, '-C', 'fixtures/charts', 'reference'])

    const first = await loadChart(archive)
    const second = await loadChart(archive)

    expect(second.dir).toBe(first.dir)
    expect(existsSync(path.join(first.dir, 'Chart.yaml'))).toBe(true)
  })

  test.each(['README.md', '/dev/null'])('file %s is not a chart', async (file) => {
    await expect(loadChart(file)).rejects.toThrow(/is not a chart folder or .tgz/)
  })

  test.each([
    { text: '- name: perses\n', found: 'found a list' },
    { text: 'name: perses\n', found: 'found no version' },
    { text: 'apiVersion: v2\n', found: 'found no name and no version' },
  ])('Chart.yaml with $found is rejected', async ({ text, found }) => {
    const dir = await scratchDir()
    await writeFile(path.join(dir, 'Chart.yaml'), text)

    await expect(loadChart(dir)).rejects.toThrow(`Chart.yaml must be a mapping with name and version, ${found}`)
  })

  test('Chart.yaml YAML error keeps line and snippet', async () => {
    const dir = await scratchDir()
    await writeFile(path.join(dir, 'Chart.yaml'), 'name: perses\nversion: [1.0\n')

    const message = await loadChart(dir).then(() => '', (error: Error) => error.message)

    expect(message).toMatch(/Chart.yaml is not valid YAML: .*line \d+, column \d+/)
    expect(message).toContain('version: [1.0')
  })

  test('template that does not parse fails with its file', async () => {
    const chart = await loadChart('fixtures/charts/broken-template')
    const [helm] = await sharedHelmBinaries()

    const result = await renderChart({ chart, helm: helm!, values: {}, kubeVersion: '1.35' })

    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.message).toMatch(/configmap.yaml/)
  })

  test('values file that is not YAML names the file', async () => {
    await expect(readValuesFile('fixtures/values/not-yaml.yaml')).rejects.toThrow(/values file fixtures\/values\/not-yaml.yaml is not valid YAML/)
  })

  test('values file YAML error keeps line and snippet', async () => {
    const message = await readValuesFile('fixtures/values/not-yaml.yaml').then(() => '', (error: Error) => error.message)

    expect(message).toMatch(/at line 2, column 9/)
    expect(message).toContain('name: perses-manifests')
    expect(message).toContain('^')
    expect(message.split('\n').length).toBeLessThanOrEqual(4)
  })

  test('values file holding a list is rejected', async () => {
    const file = path.join(await scratchDir(), 'list.yaml')
    await writeFile(file, '- a\n- b\n')

    await expect(readValuesFile(file)).rejects.toThrow(/must contain a mapping of values, found a list/)
  })

  test('unknown matrix axis is reported with its path', async () => {
    const chart = await loadChart('fixtures/charts/reference')

    const unknown = unknownAxes(chart, { 'ociArtifact.name': ['a'], 'ociArtifacts.name': ['b'], storage: { sql: { 'config.databse': 1 } } })

    expect(unknown).toEqual([{ axis: 'ociArtifact.name', path: 'ociArtifact.name' }])
  })

  test('render that times out says so and names the setting', async () => {
    const chart = await loadChart('fixtures/charts/reference')
    const [helm] = await sharedHelmBinaries()

    const result = await renderChart({ chart, helm: helm!, values: { replicas: 7 }, kubeVersion: '1.35', timeoutMs: 1 })

    expect(result.ok ? '' : result.message).toMatch(/timed out after 1 ms; raise RENDER_TIMEOUT_MS/)
  })
})

describe('helm binary', () => {
  test('HELM_BIN that does not exist', async () => {
    await expect(resolveHelmBinaries({ env: { HELM_BIN: '/nonexistent/helm' } })).rejects.toThrow(/helm not found at \/nonexistent\/helm.*HELM_BIN/)
  })

  test('HELM_BIN that is not executable', async () => {
    const file = path.join(await scratchDir(), 'helm')
    await writeFile(file, '#!/bin/sh\necho v3.0.0\n')
    await chmod(file, 0o644)

    await expect(resolveHelmBinaries({ env: { HELM_BIN: file } })).rejects.toThrow(/is not executable/)
  })

  test('HELM_BIN that is not helm', async () => {
    await expect(resolveHelmBinaries({ env: { HELM_BIN: '/bin/true' } })).rejects.toThrow(/\/bin\/true is not helm/)
  })

  test('HELM_BIN of another major', async () => {
    const file = path.join(await scratchDir(), 'helm')
    await writeFile(file, '#!/bin/sh\necho v2.17.0\n')
    await chmod(file, 0o755)

    await expect(resolveHelmBinaries({ env: { HELM_BIN: file } })).rejects.toThrow(/is helm v2.17.0; expected helm 3 or helm 4/)
  })

  test('HELM_BIN that is a directory', async () => {
    const dir = await scratchDir()

    await expect(resolveHelmBinaries({ env: { HELM_BIN: dir } })).rejects.toThrow(/is a directory, not an executable/)
  })

  test('helm version that hangs times out', async () => {
    const helm = await writeFakeHelm({ version: 'v3.0.0', template: '' })
    await writeFile(helm.path, '#!/bin/sh\nsleep 30\n')

    await expect(readHelmVersion(helm.path, { timeoutMs: 300 })).rejects.toThrow(/'.*helm version' timed out after 0.3 s/)
  })

  test('HELM_BIN name missing from PATH', async () => {
    const dir = await scratchDir()

    await expect(resolveHelmBinaries({ env: { HELM_BIN: 'helm-nowhere', PATH: dir } })).rejects.toThrow(/^HELM_BIN=helm-nowhere not found on PATH/)
  })

  test('HELM_BIN name is looked up on PATH', async () => {
    const dir = await scratchDir()
    const fake = await writeFakeHelm({ dir, name: 'helm-on-path', version: 'v4.9.0', template: '' })

    const binaries = await resolveHelmBinaries({ env: { HELM_BIN: 'helm-on-path', PATH: dir } })

    expect(binaries.map((binary) => binary.path)).toEqual([fake.path])
    expect(binaries[0]!.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  test('both majors come from the lockfile by default', async () => {
    const binaries = await resolveHelmBinaries({ env: { PATH: '' } })

    expect(binaries.map((binary) => binary.major)).toEqual([3, 4])
    expect(binaries.every((binary) => binary.source === 'npm')).toBe(true)
  })
})
