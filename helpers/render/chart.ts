import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import YAML from 'yaml'
import type { Values } from './values.ts'

const execFileAsync = promisify(execFile)

/** A chart folder or packaged .tgz, loaded once per run. */
export interface ChartUnderTest {
  /** What messages call the chart: its name, version and the path given. */
  label: string
  /** The path as given, passed to helm unchanged. */
  source: string
  /** Folder with the chart's files; a temporary copy for a .tgz. */
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

  const isArchive = (await stat(source)).isFile()
  const dir = isArchive ? await unpackChart(source) : source
  const chartYamlPath = path.join(dir, 'Chart.yaml')
  if (!existsSync(chartYamlPath)) {
    throw new ChartError(`chart ${chartPath} is not a Helm chart: ${isArchive ? 'the archive has' : 'the folder has'} no Chart.yaml`)
  }

  const chartYaml = parseYamlFile(await readFile(chartYamlPath, 'utf8'), `${chartPath}: Chart.yaml`) as { name?: string; version?: string } | null
  const name = chartYaml?.name ?? path.basename(dir)
  const version = chartYaml?.version ?? '0.0.0'

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
    contentHash: isArchive ? hashBytes(await readFile(source)) : await hashFolder(dir),
  }
}

function parseYamlFile(text: string, where: string): unknown {
  try {
    return YAML.parse(text)
  } catch (error) {
    throw new ChartError(`${where} is not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
}

async function unpackChart(archive: string): Promise<string> {
  const target = await mkdtemp(path.join(os.tmpdir(), 'chart-'))
  try {
    await execFileAsync('tar', ['-xzf', archive, '-C', target])
  } catch (error) {
    throw new ChartError(`chart ${archive} could not be unpacked as a .tgz: ${(error as Error).message.split('\n')[0]}`)
  }
  const entries = await readdir(target)
  if (entries.length !== 1) throw new ChartError(`chart ${archive} should hold one top-level folder, found ${entries.length}`)
  return path.join(target, entries[0]!)
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
