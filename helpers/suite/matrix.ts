import type { HelmMajor } from '../helm/binaries.ts'
import { ABSENT, withPath, type AxisValue, type Values } from '../render/values.ts'

/**
 * Matrix axes of a render suite. `helm` and `kube` are special; a key whose
 * value is an array is a dotted values path; a key whose value is an object
 * is a set of named variants, each setting several paths at once.
 */
export interface MatrixAxes {
  helm?: HelmMajor[]
  kube?: string[]
  [axis: string]: AxisValue[] | Record<string, Record<string, AxisValue>> | HelmMajor[] | string[] | undefined
}

export type MatrixMode = 'full' | 'pairwise'

/** One setting of one axis, with the label the cell name shows. */
interface AxisChoice {
  axis: string
  label: string
  apply: (values: Values) => Values
  helmMajor?: HelmMajor
  kubeVersion?: string
}

export interface ExpandedCell {
  name: string
  values: Values
  helmMajor: HelmMajor
  kubeVersion: string
}

export interface Expansion {
  cells: ExpandedCell[]
  /** Size of the full product, to report what pairwise saved; a bigint because it can pass 2^53. */
  fullSize: bigint
}

/**
 * Largest full product expandMatrix builds. Each cell becomes one vitest
 * test per check, so 20,000 cells are already 100,000 tests or more. At an
 * estimated 50 ms per render they also take over 15 core-minutes of helm.
 * A product of 16 million cells ran Node out of memory while expanding.
 */
export const MAX_FULL_CELLS = 20_000n

export class MatrixError extends Error {
  override name = 'MatrixError'
}

/**
 * Returns the shortest trailing part of each values path that distinguishes it
 * from the other axes: `enabled` alone, but `sidecar.enabled` next to
 * `provisioningPersistence.enabled`.
 */
export function axisLabels(paths: string[]): Map<string, string> {
  const labels = new Map<string, string>()
  for (const path of paths) {
    const segments = path.split('.')
    let take = 1
    const suffix = (candidate: string, count: number) => candidate.split('.').slice(-count).join('.')
    while (take < segments.length && paths.some((other) => other !== path && suffix(other, take) === suffix(path, take))) take++
    labels.set(path, suffix(path, take))
  }
  return labels
}

export function formatAxisValue(value: AxisValue): string {
  if (value === ABSENT) return 'unset'
  if (typeof value === 'string') return value === '' ? '""' : value
  return JSON.stringify(value)
}

/** Kubernetes versions as `--kube-version` takes them: 1.33, v1.33 or 1.33.0. */
const KUBE_VERSION = /^v?\d+\.\d+(\.\d+)?$/

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** Returns every problem of the axes, so one run reports them all. */
export function axisProblems(axes: MatrixAxes): string[] {
  const problems: string[] = []
  for (const [axis, spec] of Object.entries(axes)) {
    if (spec === undefined) continue
    const isArray = Array.isArray(spec)
    if (axis === 'helm' || axis === 'kube') {
      if (!isArray) {
        problems.push(`${axis} axis must be an array, found ${describeType(spec)}`)
        continue
      }
    } else if (!isArray && (typeof spec !== 'object' || spec === null)) {
      problems.push(`matrix axis ${axis} must be an array of values or an object of named variants, found ${describeType(spec)}`)
      continue
    }

    const size = isArray ? spec.length : Object.keys(spec).length
    if (size === 0) {
      problems.push(`matrix axis ${axis} has no values`)
      continue
    }

    if (axis === 'helm') {
      for (const major of spec as unknown[]) if (major !== 3 && major !== 4) problems.push(`helm axis allows 3 or 4, found ${JSON.stringify(major)}`)
    } else if (axis === 'kube') {
      for (const version of spec as unknown[]) {
        if (typeof version !== 'string' || !KUBE_VERSION.test(version)) problems.push(`kube axis value ${JSON.stringify(version)} is not a version like 1.33`)
      }
    } else if (!isArray) {
      for (const [variant, settings] of Object.entries(spec)) {
        if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
          problems.push(`variant ${variant} of matrix axis ${axis} must be an object of values paths, found ${describeType(settings)}`)
        }
      }
    }
  }
  return problems
}

function choicesOf(axis: string, spec: MatrixAxes[string], label: string): AxisChoice[] {
  if (axis === 'helm') {
    return (spec as HelmMajor[]).map((major) => ({ axis, label: `helm ${major}`, apply: (values) => values, helmMajor: major }))
  }
  if (axis === 'kube') {
    return (spec as string[]).map((version) => ({ axis, label: `kube ${version}`, apply: (values) => values, kubeVersion: version }))
  }
  if (Array.isArray(spec)) {
    return spec.map((value) => ({ axis, label: `${label}=${formatAxisValue(value)}`, apply: (values) => withPath(values, axis, value) }))
  }
  if (spec && typeof spec === 'object') {
    return Object.entries(spec as Record<string, Record<string, AxisValue>>).map(([variant, settings]) => ({
      axis,
      label: `${axis}=${variant}`,
      apply: (values) => Object.entries(settings).reduce((acc, [path, value]) => withPath(acc, path, value), values),
    }))
  }
  throw new MatrixError(`matrix axis ${axis} must be an array of values or an object of named variants, found ${describeType(spec)}`)
}

/** Returns the values paths an axis touches, for checking them against the chart. */
export function axisPaths(axes: MatrixAxes): Array<{ axis: string; path: string }> {
  const paths: Array<{ axis: string; path: string }> = []
  for (const [axis, spec] of Object.entries(axes)) {
    if (axis === 'helm' || axis === 'kube' || spec === undefined) continue
    if (Array.isArray(spec)) paths.push({ axis, path: axis })
    else for (const settings of Object.values(spec as Record<string, Record<string, AxisValue>>)) for (const path of Object.keys(settings)) paths.push({ axis, path })
  }
  return paths
}

/**
 * Expands axes into cells: the full product, or a pairwise cover in which
 * every pair of values of two axes meets in at least one cell. Throws a
 * MatrixError listing every invalid axis, or when the full product has
 * more than MAX_FULL_CELLS cells.
 */
export function expandMatrix(options: { base: Values; axes: MatrixAxes; mode: MatrixMode; defaultHelm: HelmMajor[]; defaultKube: string }): Expansion {
  const problems = axisProblems(options.axes)
  if (problems.length > 0) throw new MatrixError(problems.join('; '))

  const axes: MatrixAxes = { ...options.axes }
  axes.helm ??= options.defaultHelm
  axes.kube ??= [options.defaultKube]
  const labels = axisLabels(Object.keys(axes).filter((axis) => Array.isArray(axes[axis]) && axis !== 'helm' && axis !== 'kube'))
  const dimensions = Object.entries(axes)
    .filter(([, spec]) => spec !== undefined)
    .map(([axis, spec]) => choicesOf(axis, spec, labels.get(axis) ?? axis))

  // Counted before expanding, because building a product of millions of cells runs Node out of memory.
  const fullSize = dimensions.reduce((size, choices) => size * BigInt(choices.length), 1n)
  if (options.mode === 'full' && fullSize > MAX_FULL_CELLS) {
    throw new MatrixError(`full matrix has ${fullSize.toLocaleString('en-US')} cells; set MATRIX=pairwise or reduce axes (the limit is ${MAX_FULL_CELLS.toLocaleString('en-US')})`)
  }
  const rows = options.mode === 'pairwise' ? pairwiseRows(dimensions.map((choices) => choices.length)) : productRows(dimensions.map((choices) => choices.length))

  const cells = rows.map((row) => {
    const chosen = row.map((choiceIndex, dimension) => dimensions[dimension]![choiceIndex]!)
    const values = chosen.reduce((acc, choice) => choice.apply(acc), structuredClone(options.base))
    const helmMajor = chosen.find((choice) => choice.helmMajor !== undefined)!.helmMajor!
    const kubeVersion = chosen.find((choice) => choice.kubeVersion !== undefined)!.kubeVersion!
    const valueLabels = chosen.filter((choice) => choice.helmMajor === undefined && choice.kubeVersion === undefined).map((choice) => choice.label)
    return { name: [...valueLabels, `helm ${helmMajor}`, `kube ${kubeVersion}`].join(' · '), values, helmMajor, kubeVersion }
  })
  return { cells, fullSize }
}

function productRows(sizes: number[]): number[][] {
  let rows: number[][] = [[]]
  for (const size of sizes) rows = rows.flatMap((row) => Array.from({ length: size }, (_, index) => [...row, index]))
  return rows
}

/**
 * Greedy pairwise cover (in the style of IPOG): grows the covering array one
 * axis at a time, first extending existing rows, then adding rows for the
 * pairs still uncovered. Deterministic, so cell names are stable across runs.
 */
export function pairwiseRows(sizes: number[]): number[][] {
  if (sizes.length <= 2) return productRows(sizes)

  let rows = productRows(sizes.slice(0, 2))
  for (let axis = 2; axis < sizes.length; axis++) {
    const size = sizes[axis]!
    const uncovered = new Set<string>()
    for (let earlier = 0; earlier < axis; earlier++) {
      for (let a = 0; a < sizes[earlier]!; a++) for (let b = 0; b < size; b++) uncovered.add(`${earlier}:${a}:${b}`)
    }

    rows = rows.map((row) => {
      let best = 0
      let bestGain = -1
      for (let candidate = 0; candidate < size; candidate++) {
        const gain = row.filter((value, earlier) => uncovered.has(`${earlier}:${value}:${candidate}`)).length
        if (gain > bestGain) {
          best = candidate
          bestGain = gain
        }
      }
      row.forEach((value, earlier) => uncovered.delete(`${earlier}:${value}:${best}`))
      return [...row, best]
    })

    while (uncovered.size > 0) {
      const [first] = uncovered
      const [earlier, a, b] = first!.split(':').map(Number) as [number, number, number]
      const row = Array.from({ length: axis + 1 }, (_, index) => (index === axis ? b : index === earlier ? a : -1))
      // Fill free slots with values that cover the most remaining pairs.
      for (let slot = 0; slot < axis; slot++) {
        if (row[slot] !== -1) continue
        let best = 0
        let bestGain = -1
        for (let candidate = 0; candidate < sizes[slot]!; candidate++) {
          const gain = uncovered.has(`${slot}:${candidate}:${b}`) ? 1 : 0
          if (gain > bestGain) {
            best = candidate
            bestGain = gain
          }
        }
        row[slot] = best
      }
      row.forEach((value, slot) => {
        if (slot < axis) uncovered.delete(`${slot}:${value}:${b}`)
      })
      rows.push(row)
    }
  }
  return rows
}
