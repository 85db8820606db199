import { describeHelmBinaries, resolveHelmBinaries } from '../helm/binaries.ts'
import { loadChart } from '../render/chart.ts'
import { readSuiteConfig } from './config.ts'

/**
 * Vitest global setup: prints the chart under test and the helm binaries
 * once per run, before the workers start, and marks both as printed in
 * process.env, which the workers inherit. A setting that fails here is
 * left to each suite, which reports it as its own failing test.
 */
export default async function announceRun(): Promise<void> {
  const lines: string[] = []
  try {
    const chart = await loadChart(readSuiteConfig().chart)
    lines.push(`chart: ${chart.label}`)
    process.env.CHARTS_PRINTED = chart.label
  } catch {
    // Each suite reports a bad chart setting as its own failing test.
  }

  try {
    lines.push(describeHelmBinaries(await resolveHelmBinaries()))
    process.env.HELM_BINARIES_PRINTED = '1'
  } catch {
    // Each suite reports a missing helm as its own failing test.
  }
  if (lines.length > 0) console.info(lines.join('\n'))
}
