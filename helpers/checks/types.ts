import type { HelmBinary, HelmMajor } from '../helm/binaries.ts'
import type { ChartUnderTest } from '../render/chart.ts'
import type { RenderResult } from '../render/render-chart.ts'
import type { Values } from '../render/values.ts'

/** Reason an invalid cell must be rejected for. */
export interface RejectionExpectation {
  /** Dotted values path the error must name, e.g. ociArtifacts.image.pullPolicy. */
  field: string
  /** Further text the error must contain. */
  message?: RegExp
}

/** One point of a value matrix: user values plus the helm major and Kubernetes version. */
export interface Cell {
  suite: string
  name: string
  values: Values
  /** Further values files rendered after `values`, in order (`helm -f a -f b`). */
  layers?: Values[]
  helmMajor: HelmMajor
  kubeVersion: string
  /** Set for cells the chart must reject. */
  rejection?: RejectionExpectation
}

/** Cell data a check may read before anything is rendered. */
export interface CheckTarget {
  cell: Cell
  /** Chart defaults coalesced with the cell's values, as helm validates them. */
  effectiveValues: Values
}

export interface CheckContext extends CheckTarget {
  chart: ChartUnderTest
  helm: HelmBinary
  render: RenderResult
  /** Renders of the companion cells the check asked for, in request order. */
  companions?: CompanionRender[]
}

/**
 * A further render a check compares its cell with: the same cell with other
 * values, another Kubernetes version or another helm major. Unset fields
 * keep the cell's own.
 */
export interface CompanionRequest {
  /** Names the companion in messages, e.g. "reference changed". */
  label: string
  values?: Values
  layers?: Values[]
  kubeVersion?: string
  helmMajor?: HelmMajor
}

export interface CompanionRender {
  label: string
  cell: Cell
  /** Undefined when that helm major is not available in this run. */
  helm: HelmBinary | undefined
  render: RenderResult
  effectiveValues: Values
}

/** One defect: where it is, what was expected and what the chart rendered. */
export interface Finding {
  /** kind/namespace/name of the object, when the defect sits in one. */
  object?: string
  /** Field path inside the object or the values. */
  path?: string
  expected: string
  found: string
  /** A warning is reported but does not fail the cell; the default is an error. */
  severity?: 'error' | 'warning'
}

export interface Check {
  id: string
  /** Reads after the cell name in a test title, e.g. "pull policy is rendered exactly". */
  title: string
  /** Whether the check has anything to say about this cell; defaults to valid cells only. */
  appliesTo?: (target: CheckTarget) => boolean
  /** Further cells to render and pass in `context.companions`, for checks that compare renders. */
  companions?: (target: CheckTarget) => CompanionRequest[]
  run: (context: CheckContext) => Finding[] | Promise<Finding[]>
}

export function isWarning(finding: Finding): boolean {
  return finding.severity === 'warning'
}

/** Formats findings the way a failing test shows them. */
export function formatFindings(check: Check, context: CheckContext, findings: Finding[]): string {
  const verdict = findings.length > 0 && findings.every(isWarning) ? 'warns' : 'failed'
  const header = `${check.id} ${verdict} on chart ${context.chart.label}, cell ${context.cell.name} (helm ${context.helm.version}, kube ${context.cell.kubeVersion}):`
  const lines = findings.map((finding) => {
    const where = [finding.object, finding.path].filter(Boolean).join(': ')
    const label = isWarning(finding) ? 'warning: ' : ''
    return `  - ${label}${where ? `${where} ` : ''}expected ${finding.expected}, found ${finding.found}`
  })
  const layers = (context.cell.layers ?? []).map((layer, index) => `  values file ${index + 2}: ${JSON.stringify(layer)}`)
  return [header, ...lines, `  values: ${JSON.stringify(context.cell.values)}`, ...layers].join('\n')
}

/** Returns a finding for a cell the chart should have rendered but did not. */
export function renderFailureFinding(context: CheckContext): Finding[] {
  if (context.render.ok) return []
  return [{ expected: 'helm template to render these valid values', found: `helm ${context.render.kind === 'schema' ? 'rejected them by the values schema' : 'failed'}: ${firstLines(context.render.message)}` }]
}

export function firstLines(text: string, count = 6): string {
  return text.trim().split('\n').slice(0, count).join(' | ')
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing (field absent)'
  return JSON.stringify(value)
}
