import { afterAll, describe, test } from 'vitest'
import { unavailableHelmReason, type HelmBinary, type HelmMajor } from '../helm/binaries.ts'
import { readRenderTimeoutMs, renderChart } from '../render/render-chart.ts'
import { formatFindings, isWarning, type Cell, type Check, type CheckContext } from '../checks/types.ts'
import type { ChartUnderTest } from '../render/chart.ts'
import { isPlainObject, mergeValues, splitPath, type Values } from '../render/values.ts'
import { readValuesFile } from '../render/values-file.ts'
import { readSuiteConfig, sharedChart, sharedHelmBinaries } from './config.ts'
import { axisPaths, expandMatrix, type Expansion, type MatrixAxes, type MatrixMode } from './matrix.ts'
import { SuiteProgress } from './progress.ts'
import { buildCheckContext, checkApplies, effectiveValuesOf, runCheck } from './run-check.ts'

/** A values cell the chart must reject, and the field the error must name. */
export interface InvalidCell {
  name: string
  values: Values
  field: string
  message?: RegExp
  /** Kubernetes version to render with; defaults to the suite's first. */
  kube?: string
}

/**
 * A cell rendered from several values files in order, as `helm -f a -f b`
 * does, e.g. a base that sets a key and an overlay that sets it to null.
 * The suite's base values go under the first file.
 */
export interface LayeredCell {
  name: string
  layers: [Values, ...Values[]]
  kube?: string
}

/** A render suite is data: base values, axes, invalid and layered cells, and checks. */
export interface RenderSuite {
  name: string
  /** Chart to render; defaults to PERSES_CHART or conformance.config.json. */
  chart?: string
  /** YAML values files merged in order under `base`, like `helm -f a -f b`. */
  baseFiles?: string[]
  base?: Values
  axes: MatrixAxes
  invalid?: InvalidCell[]
  layered?: LayeredCell[]
  checks: Check[]
  /** Overrides the configured matrix mode for this suite. */
  matrix?: MatrixMode
}

/** Kubernetes version for suites that name none: the newest the project targets. */
export const DEFAULT_KUBE_VERSION = '1.35'
const ALL_HELM_MAJORS: HelmMajor[] = [3, 4]

/**
 * Expands a render suite into vitest tests, one per cell and check, named
 * `<cell> › <check>`. Renders run in parallel (one helm per core) and each
 * cell renders once for all its checks. Setup errors (a missing chart, an
 * unknown axis) become failing tests with the reason, so other suites still run.
 */
export async function defineRenderSuite(suite: RenderSuite): Promise<void> {
  let prepared: PreparedSuite
  try {
    prepared = await prepareRenderSuite(suite)
  } catch (error) {
    defineSetupFailure(suite.name, 'chart and helm are ready', `suite "${suite.name}" could not start: ${(error as Error).message}`)
    return
  }
  const { mode, chart, available, base, expansion } = prepared

  // A chart that cannot render its own defaults would fail every cell with
  // the same error, so one failing test reports it once.
  const preflight = await preflightChart(chart, [...available.values()][0]!)
  if (preflight) {
    defineSetupFailure(suite.name, preflight.title, `suite "${suite.name}", chart ${chart.label}: ${preflight.message}`)
    return
  }

  const firstKube = suite.axes.kube?.[0] ?? DEFAULT_KUBE_VERSION
  const helmMajors = suite.axes.helm ?? ALL_HELM_MAJORS
  const cells: Cell[] = expansion.cells.map((cell) => ({ ...cell, suite: suite.name }))
  for (const invalid of suite.invalid ?? []) {
    for (const helmMajor of helmMajors) {
      const kubeVersion = invalid.kube ?? firstKube
      cells.push({
        suite: suite.name,
        name: `invalid ${invalid.name} · helm ${helmMajor} · kube ${kubeVersion}`,
        values: mergeValues(base, invalid.values),
        helmMajor,
        kubeVersion,
        rejection: { field: invalid.field, message: invalid.message },
      })
    }
  }

  for (const layered of suite.layered ?? []) {
    for (const helmMajor of helmMajors) {
      const kubeVersion = layered.kube ?? firstKube
      const [first, ...rest] = layered.layers
      cells.push({
        suite: suite.name,
        name: `layered ${layered.name} · helm ${helmMajor} · kube ${kubeVersion}`,
        values: mergeValues(base, first),
        layers: rest,
        helmMajor,
        kubeVersion,
      })
    }
  }

  const unknown = unknownAxes(chart, suite.axes)
  const unknownFields = unknownInvalidFields(chart, suite.invalid ?? [])
  const title = suiteTitle(suite.name, mode, expansion)

  describe(title, () => {
    if (unknown.length > 0) {
      test('matrix axes name values the chart defines', () => {
        const lines = unknown.map(({ axis, path }) => `  - axis ${axis}: ${path} (the chart's values.yaml and values.schema.json have no ${splitPath(path)[0]})`)
        throw new CheckFailure(`suite "${suite.name}", chart ${chart.label}: unknown matrix axes:\n${lines.join('\n')}`)
      })
    }
    if (unknownFields.length > 0) {
      test('invalid cells name fields the chart defines', () => {
        const lines = unknownFields.map(({ name, field }) => `  - invalid ${name}: ${field} (the chart's values.yaml and values.schema.json have no ${splitPath(field)[0]})`)
        throw new CheckFailure(`suite "${suite.name}", chart ${chart.label}: unknown fields of invalid cells:\n${lines.join('\n')}`)
      })
    }

    const planned = cells.filter((cell) => available.has(cell.helmMajor) && suite.checks.some((check) => checkApplies(check, { cell, effectiveValues: effectiveValuesOf(chart, cell) })))
    const progress = new SuiteProgress(suite.name, planned.length)
    afterAll(() => progress.stop())

    for (const cell of cells) {
      const target = { cell, effectiveValues: effectiveValuesOf(chart, cell) }
      for (const check of suite.checks) {
        if (!checkApplies(check, target)) continue
        const helm = available.get(cell.helmMajor)
        const name = `${cell.name} › ${check.title}`
        if (!helm) {
          test.skip(`${name} (${unavailableHelmReason(cell.helmMajor, [...available.values()])})`, () => {})
          continue
        }
        test.concurrent(name, async ({ annotate }) => {
          progress.start()
          let context: CheckContext
          try {
            context = await buildCheckContext(chart, cell, helm)
          } finally {
            progress.cellRendered(cell.name)
          }
          const findings = await runCheck(check, context)

          // Warnings reach the report as annotations and leave the test passing.
          const warnings = findings.filter(isWarning)
          if (warnings.length > 0) await annotate(formatFindings(check, context, warnings), 'warning')
          const errors = findings.filter((finding) => !isWarning(finding))
          if (errors.length > 0) throw new CheckFailure(formatFindings(check, context, errors))
        })
      }
    }
  })
}

/** Settings, values, matrix, chart and helm binaries of a suite, read before its tests are defined. */
export interface PreparedSuite {
  mode: MatrixMode
  chart: ChartUnderTest
  available: Map<HelmMajor, HelmBinary>
  base: Values
  expansion: Expansion
}

/**
 * Reads the settings, the base values files, the matrix, the chart and the
 * helm binaries of a suite. Rejects with the reason of the first step that
 * fails, such as an invalid setting, matrix axis or invalid cell.
 */
export async function prepareRenderSuite(suite: RenderSuite): Promise<PreparedSuite> {
  const config = readSuiteConfig()
  const mode = suite.matrix ?? config.matrix
  readRenderTimeoutMs()
  const fileLayers = await Promise.all((suite.baseFiles ?? []).map((file) => readValuesFile(file)))
  const base = mergeValues(...fileLayers, suite.base ?? {})
  const expansion = expandMatrix({ base, axes: suite.axes, mode, defaultHelm: ALL_HELM_MAJORS, defaultKube: DEFAULT_KUBE_VERSION })
  checkInvalidCells(suite.invalid ?? [])

  const chart = await sharedChart(suite.chart ?? config.chart)
  const available = new Map((await sharedHelmBinaries()).map((binary) => [binary.major, binary]))
  return { mode, chart, available, base, expansion }
}

/** Returns the suite title; a pairwise title states how many cells of the full product it renders. */
export function suiteTitle(name: string, mode: MatrixMode, expansion: Expansion): string {
  if (mode !== 'pairwise') return name
  return `${name} (pairwise: ${expansion.cells.length.toLocaleString('en-US')} of ${expansion.fullSize.toLocaleString('en-US')} cells)`
}

function defineSetupFailure(suiteName: string, title: string, message: string): void {
  describe(suiteName, () => {
    test(title, () => {
      throw new CheckFailure(message)
    })
  })
}

/**
 * A finding about the chart or the suite's data, not a bug in the engine.
 * Its stack is only the message, so vitest prints the findings without a
 * code frame of the engine line that threw.
 */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CheckFailure'
    this.stack = `${this.name}: ${message}`
  }
}

/** Throws when an invalid cell has no field, because an empty path would match any error. */
function checkInvalidCells(invalid: InvalidCell[]): void {
  const empty = invalid.filter((cell) => splitPath(cell.field ?? '').length === 0).map((cell) => `"${cell.name}"`)
  if (empty.length > 0) throw new Error(`invalid cells ${empty.join(', ')} have an empty field; set field to the dotted values path the error must name`)
}

/**
 * Renders the chart's defaults once and checks that it defines ociArtifacts.
 * Returns why the suite cannot run its cells, or undefined when it can.
 */
async function preflightChart(chart: ChartUnderTest, helm: HelmBinary): Promise<{ title: string; message: string } | undefined> {
  const render = await renderChart({ chart, helm, values: {}, kubeVersion: DEFAULT_KUBE_VERSION })
  if (!render.ok) {
    return { title: 'chart renders its default values', message: `helm ${helm.version} failed to render the default values, so no cell can render:\n${render.message}` }
  }
  if (!definesKey(chart, 'ociArtifacts')) {
    return { title: 'chart defines ociArtifacts', message: 'neither values.yaml nor values.schema.json defines ociArtifacts, so the chart has no OCI-artifacts feature to test' }
  }
  return undefined
}

/** Returns the invalid cells whose field starts with a key the chart does not define. */
export function unknownInvalidFields(chart: ChartUnderTest, invalid: InvalidCell[]): Array<{ name: string; field: string }> {
  return invalid.filter((cell) => !definesKey(chart, cell.field)).map(({ name, field }) => ({ name, field }))
}

/** Returns the axes whose values paths start with a key the chart does not define. */
export function unknownAxes(chart: ChartUnderTest, axes: MatrixAxes): Array<{ axis: string; path: string }> {
  return axisPaths(axes).filter(({ path }) => !definesKey(chart, path))
}

/** True when the chart's defaults or schema define the first key of the path. */
function definesKey(chart: ChartUnderTest, dottedPath: string): boolean {
  const root = splitPath(dottedPath)[0]
  if (root === undefined) return false
  if (root in chart.defaults) return true
  const properties = (chart.schema as { properties?: unknown } | undefined)?.properties
  return isPlainObject(properties) && root in properties
}
