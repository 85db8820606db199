import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import YAML from 'yaml'
import { isPlainObject, type Values } from './values.ts'
import { describeYamlError } from './values-file.ts'

const execFileAsync = promisify(execFile)

/** A chart folder or packaged .tgz, loaded once per run. */
export interface ChartUnderTest {
  /** Chart name in messages: its name, version and the path given. */
  label: string
  /** The path as given, passed to helm unchanged. */
  source: string
  /** Folder with the chart's files; for a .tgz, its unpacked copy in the temporary folder. */
  dir: string
  name: string
  version: string
  defaults: Values
  schema: object | undefined
  /** sha256 of every file in the chart, for the render cache key. */
  contentHash: string
}

export class ChartError extends Error {
  override name = 'ChartError'
}

/** Loads a chart folder or .tgz and reads its default values and schema. */
export async function loadChart(chartPath: string): Promise<ChartUnderTest> {
  const source = path.resolve(chartPath)
  if (!existsSync(source)) {
    throw new ChartError(`chart ${chartPath} not found: no such file or folder; set PERSES_CHART or "chart" in conformance.config.json to a chart folder or .tgz`)
  }

  const info = await stat(source)
  const isArchive = info.isFile() && /\.(tgz|tar\.gz)$/.test(source)
  if (!info.isDirectory() && !isArchive) {
    throw new ChartError(`chart ${chartPath} is not a chart folder or .tgz; set PERSES_CHART or "chart" in conformance.config.json to a chart folder or packaged .tgz`)
  }

  const archiveBytes = isArchive ? await readFile(source) : undefined
  const dir = archiveBytes ? await unpackChart(chartPath, source, hashBytes(archiveBytes)) : source
  const chartYamlPath = path.join(dir, 'Chart.yaml')
  if (!existsSync(chartYamlPath)) {
    throw new ChartError(`chart ${chartPath} is not a Helm chart: ${isArchive ? 'the archive has' : 'the folder has'} no Chart.yaml`)
  }

  const chartYaml = parseYamlFile(await readFile(chartYamlPath, 'utf8'), `${chartPath}: Chart.yaml`)
  if (!isPlainObject(chartYaml) || !isNonEmptyString(chartYaml.name) || !isNonEmptyString(chartYaml.version)) {
    throw new ChartError(`chart ${chartPath}: Chart.yaml must be a mapping with name and version, found ${describeChartYaml(chartYaml)}; give Chart.yaml top-level name and version keys`)
  }
  const name = chartYaml.name
  const version = chartYaml.version

  const valuesPath = path.join(dir, 'values.yaml')
  const defaults = existsSync(valuesPath) ? (parseYamlFile(await readFile(valuesPath, 'utf8'), `${chartPath}: values.yaml`) ?? {}) : {}

  const schemaPath = path.join(dir, 'values.schema.json')
  let schema: object | undefined
  if (existsSync(schemaPath)) {
    try {
      schema = JSON.parse(await readFile(schemaPath, 'utf8')) as object
    } catch (error) {
      throw new ChartError(`chart ${chartPath}: values.schema.json is not valid JSON (${(error as Error).message})`)
    }
  }

  return {
    label: `${name}-${version} (${chartPath})`,
    source,
    dir,
    name,
    version,
    defaults: defaults as Values,
    schema,
    contentHash: archiveBytes ? hashBytes(archiveBytes) : await hashFolder(dir),
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== ''
}

function describeChartYaml(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (!isPlainObject(value)) return value === null ? 'an empty file' : `a ${typeof value}`
  const missing = ['name', 'version'].filter((key) => !isNonEmptyString(value[key]))
  return `no ${missing.join(' and no ')}`
}

function parseYamlFile(text: string, where: string): unknown {
  try {
    return YAML.parse(text)
  } catch (error) {
    throw new ChartError(`${where} is not valid YAML: ${describeYamlError(error)}`)
  }
}

/**
 * Unpacks a .tgz once per archive content into a folder named after its
 * sha256, so every worker and rerun reuses it and no copies pile up in the
 * temporary folder. Unpacks into a scratch folder first and renames it, so
 * a reader never sees a half-unpacked chart.
 */
async function unpackChart(chartPath: string, archive: string, archiveHash: string): Promise<string> {
  const target = path.join(os.tmpdir(), `perses-chart-${archiveHash.slice(0, 16)}`)
  if (!existsSync(target)) {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'perses-chart-unpack-'))
    try {
      await execFileAsync('tar', ['-xzf', archive, '-C', scratch])
      await rename(scratch, target).catch((error: NodeJS.ErrnoException) => {
        // Another worker unpacked the same archive first; its copy is identical.
        if (!existsSync(target)) throw error
      })
    } catch (error) {
      throw new ChartError(`chart ${chartPath} could not be unpacked as a .tgz: ${tarReason(error)}`)
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
  }

  const entries = await readdir(target)
  if (entries.length !== 1) throw new ChartError(`chart ${chartPath} should contain one top-level folder, found ${entries.length}`)
  return path.join(target, entries[0]!)
}

/** Returns tar's first error line, without the command line that names the scratch folder. */
function tarReason(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim()
  if (stderr) return stderr.split('\n')[0]!
  return (error as NodeJS.ErrnoException).code ?? 'tar failed'
}

function hashBytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function hashFolder(dir: string): Promise<string> {
  const hash = createHash('sha256')
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
  for (const file of files) {
    hash.update(path.relative(dir, file)).update('\0').update(await readFile(file)).update('\0')
  }
  return hash.digest('hex')
}
