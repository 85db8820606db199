import type { HelmBinary } from '../helm/binaries.ts'
import type { Cell, Check, CheckContext, CheckTarget, Finding } from '../checks/types.ts'
import type { ChartUnderTest } from '../render/chart.ts'
import { renderChart } from '../render/render-chart.ts'
import { coalesceValues } from '../render/values.ts'

/** Renders a cell (cached) and builds the context every check reads. */
export async function buildCheckContext(chart: ChartUnderTest, cell: Cell, helm: HelmBinary): Promise<CheckContext> {
  const render = await renderChart({ chart, helm, values: cell.values, kubeVersion: cell.kubeVersion })
  return { chart, cell, helm, render, effectiveValues: coalesceValues(chart.defaults, cell.values) }
}

/** Whether a check has anything to say about a cell; by default, valid cells only. */
export function checkApplies(check: Check, target: CheckTarget): boolean {
  return check.appliesTo ? check.appliesTo(target) : !target.cell.rejection
}

/** Runs one check on a cell; an empty list means it passed or did not apply. */
export async function runCheck(check: Check, context: CheckContext): Promise<Finding[]> {
  if (!checkApplies(check, context)) return []
  return check.run(context)
}
