import { unavailableHelmReason, type HelmBinary } from '../helm/binaries.ts'
import type { Cell, Check, CheckContext, CheckTarget, CompanionRender, CompanionRequest, Finding } from '../checks/types.ts'
import type { ChartUnderTest } from '../render/chart.ts'
import { renderChart } from '../render/render-chart.ts'
import { coalesceValues, mergeValues, type Values } from '../render/values.ts'
import { sharedHelmBinaries } from './config.ts'

/** Returns the chart defaults coalesced with every values file of the cell, in order, as helm merges them. */
export function effectiveValuesOf(chart: ChartUnderTest, cell: Pick<Cell, 'values' | 'layers'>): Values {
  return coalesceValues(chart.defaults, mergeValues(cell.values, ...(cell.layers ?? [])))
}

/** Renders a cell (cached) and builds the context every check reads. */
export async function buildCheckContext(chart: ChartUnderTest, cell: Cell, helm: HelmBinary): Promise<CheckContext> {
  const render = await renderChart({ chart, helm, values: cell.values, layers: cell.layers, kubeVersion: cell.kubeVersion })
  return { chart, cell, helm, render, effectiveValues: effectiveValuesOf(chart, cell) }
}

/** Returns whether a check applies to a cell; by default it applies to valid cells only. */
export function checkApplies(check: Check, target: CheckTarget): boolean {
  return check.appliesTo ? check.appliesTo(target) : !target.cell.rejection
}

/** Runs one check on a cell, rendering its companion cells first; an empty list means it passed or did not apply. */
export async function runCheck(check: Check, context: CheckContext): Promise<Finding[]> {
  if (!checkApplies(check, context)) return []

  const requests = check.companions?.(context) ?? []
  if (requests.length === 0) return check.run(context)
  const companions = await Promise.all(requests.map((request) => renderCompanion(context, request)))
  return check.run({ ...context, companions })
}

async function renderCompanion(context: CheckContext, request: CompanionRequest): Promise<CompanionRender> {
  const helmMajor = request.helmMajor ?? context.cell.helmMajor
  const cell: Cell = {
    ...context.cell,
    name: `${context.cell.name} → ${request.label}`,
    values: request.values ?? context.cell.values,
    layers: request.layers ?? (request.values ? undefined : context.cell.layers),
    kubeVersion: request.kubeVersion ?? context.cell.kubeVersion,
    helmMajor,
  }
  const effectiveValues = effectiveValuesOf(context.chart, cell)
  const helm = helmMajor === context.helm.major ? context.helm : (await sharedHelmBinaries()).find((binary) => binary.major === helmMajor)
  if (!helm) {
    const reason = unavailableHelmReason(helmMajor, await sharedHelmBinaries())
    return { label: request.label, cell, helm, effectiveValues, render: { ok: false, kind: 'helm', message: reason } }
  }
  const render = await renderChart({ chart: context.chart, helm, values: cell.values, layers: cell.layers, kubeVersion: cell.kubeVersion })
  return { label: request.label, cell, helm, render, effectiveValues }
}
