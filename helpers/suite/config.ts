import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describeHelmBinaries, resolveHelmBinaries, type HelmBinary } from '../helm/binaries.ts'
import { loadChart, type ChartUnderTest } from '../render/chart.ts'
import type { MatrixMode } from './matrix.ts'

/** Settings from conformance.config.json, each overridable by an environment variable. */
export interface SuiteConfig {
  /** Chart folder or .tgz under test (PERSES_CHART). */
  chart: string
  /** full product or pairwise cover of the axes (MATRIX). */
  matrix: MatrixMode
  /** Folder for JUnit XML and the summary (REPORT_DIR). */
  reportDir: string
}

const CONFIG_FILE = 'conformance.config.json'
const DEFAULTS: SuiteConfig = { chart: 'fixtures/charts/reference', matrix: 'full', reportDir: 'reports' }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads conformance.config.json (optional) and applies the environment. */
export function readSuiteConfig(env: NodeJS.ProcessEnv = process.env): SuiteConfig {
  let fromFile: Partial<SuiteConfig> = {}
  if (existsSync(CONFIG_FILE)) {
    try {
      fromFile = JSON.parse(readFileSync(CONFIG_FILE, 'utf8')) as Partial<SuiteConfig>
    } catch (error) {
      throw new ConfigError(`${CONFIG_FILE} is not valid JSON: ${(error as Error).message}`)
    }
  }

  // An empty PERSES_CHART is most likely a variable that failed to expand,
  // and falling back to the reference chart would report a pass for it.
  if (env.PERSES_CHART !== undefined && env.PERSES_CHART.trim() === '') {
    throw new ConfigError('PERSES_CHART is set but empty; set it to a chart folder or .tgz, or unset it to test the reference chart')
  }

  const config: SuiteConfig = {
    chart: env.PERSES_CHART || fromFile.chart || DEFAULTS.chart,
    matrix: (env.MATRIX || fromFile.matrix || DEFAULTS.matrix) as MatrixMode,
    reportDir: env.REPORT_DIR || fromFile.reportDir || DEFAULTS.reportDir,
  }
  if (config.matrix !== 'full' && config.matrix !== 'pairwise') {
    throw new ConfigError(`matrix mode ${JSON.stringify(config.matrix)} is invalid; set MATRIX or "matrix" in ${CONFIG_FILE} to full or pairwise`)
  }
  return config
}

let helmBinaries: Promise<HelmBinary[]> | undefined
const charts = new Map<string, Promise<ChartUnderTest>>()

/** Resolves the helm binaries once per worker and prints them once per run. */
export function sharedHelmBinaries(): Promise<HelmBinary[]> {
  helmBinaries ??= resolveHelmBinaries().then((binaries) => {
    if (!process.env.HELM_BINARIES_PRINTED) {
      process.env.HELM_BINARIES_PRINTED = '1'
      console.info(describeHelmBinaries(binaries))
    }
    return binaries
  })
  return helmBinaries
}

/** Loads each chart once per worker and prints `chart: <label>` once per run, next to the helm binaries. */
export function sharedChart(chartPath: string): Promise<ChartUnderTest> {
  const key = path.resolve(chartPath)
  let pending = charts.get(key)
  if (!pending) {
    pending = loadChart(chartPath).then((chart) => {
      announceChart(chart.label)
      return chart
    })
    charts.set(key, pending)
  }
  return pending
}

/** Prints a chart's label once, guarded through process.env as the helm binaries line is. */
function announceChart(label: string): void {
  const printed = (process.env.CHARTS_PRINTED ?? '').split('\n')
  if (printed.includes(label)) return
  process.env.CHARTS_PRINTED = [...printed.filter(Boolean), label].join('\n')
  console.info(`chart: ${label}`)
}
