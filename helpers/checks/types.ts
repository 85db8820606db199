import type { HelmBinary, HelmMajor } from '../helm/binaries.ts'
import type { ChartUnderTest } from '../render/chart.ts'
import type { RenderResult } from '../render/render-chart.ts'
import type { Values } from '../render/values.ts'

/** What an invalid cell must be rejected for. */
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
  helmMajor: HelmMajor
  kubeVersion: string
  /** Set for cells the chart must reject. */
  rejection?: RejectionExpectation
}

/** What a check may look at before anything is rendered. */
export interface CheckTarget {
  cell: Cell
  /** Chart defaults coalesced with the cell's values, as helm sees them. */
  effectiveValues: Values
}

export interface CheckContext extends CheckTarget {
  chart: ChartUnderTest
  helm: HelmBinary
  render: RenderResult
}

/** One defect: where it is, what was expected and what the chart rendered. */
export interface Finding {
  /** kind/namespace/name of the object, when the defect sits in one. */
  object?: string
  /** Field path inside the object or the values. */
  path?: string
  expected: string
  found: string
}

export interface Check {
  id: string
  /** Reads after the cell name in a test title, e.g. "pull policy is rendered exactly". */
  title: string
  /** Whether the check has anything to say about this cell; defaults to valid cells only. */
  appliesTo?: (target: CheckTarget) => boolean
  run: (context: CheckContext) => Finding[] | Promise<Finding[]>
}

/** Formats findings the way a failing test shows them. */
export function formatFindings(check: Check, context: CheckContext, findings: Finding[]): string {
  const header = `${check.id} failed on chart ${context.chart.label}, cell ${context.cell.name} (helm ${context.helm.version}, kube ${context.cell.kubeVersion}):`
  const lines = findings.map((finding) => {
    const where = [finding.object, finding.path].filter(Boolean).join(': ')
    return `  - ${where ? `${where} ` : ''}expected ${finding.expected}, found ${finding.found}`
  })
  return [header, ...lines, `  values: ${JSON.stringify(context.cell.values)}`].join('\n')
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
