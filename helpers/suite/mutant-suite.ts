import { describe, expect, test } from 'vitest'
import type { Cell, Check, Finding } from '../checks/types.ts'
import { formatFindings, isWarning } from '../checks/types.ts'
import { loadChart, type ChartUnderTest } from '../render/chart.ts'
import { buildMutantChart, readMutants, REFERENCE_CHART, type Mutant } from '../render/mutant.ts'
import { sharedHelmBinaries } from './config.ts'
import { DEFAULT_KUBE_VERSION } from './render-suite.ts'
import { buildCheckContext, runCheck } from './run-check.ts'

interface CellFindings {
  cell: Cell
  findings: Finding[]
  message: string
}

async function runOnCells(chart: ChartUnderTest, mutant: Mutant, check: Check): Promise<CellFindings[]> {
  const results: CellFindings[] = []
  for (const helm of await sharedHelmBinaries()) {
    for (const [index, spec] of mutant.cells.entries()) {
      const cell: Cell = {
        suite: 'mutants',
        name: `${mutant.id} cell ${index + 1} · helm ${helm.major}`,
        values: spec.values,
        layers: spec.layers,
        helmMajor: helm.major,
        kubeVersion: spec.kube ?? DEFAULT_KUBE_VERSION,
        rejection: spec.rejectField ? { field: spec.rejectField } : undefined,
      }
      const context = await buildCheckContext(chart, cell, helm)
      // Warnings are advice, so only errors prove a mutant caught or a reference chart wrong.
      const findings = (await runCheck(check, context)).filter((finding) => !isWarning(finding))
      results.push({ cell, findings, message: findings.length > 0 ? formatFindings(check, context, findings) : '' })
    }
  }
  return results
}

/**
 * Proves each check can fail: every mutant in fixtures/mutants must make its
 * check report a finding on every helm major, while the reference chart
 * passes the same check on the same cells. Every check needs a mutant.
 */
export async function defineMutantSuite(checks: Check[]): Promise<void> {
  const mutants = await readMutants()
  const byId = new Map(checks.map((check) => [check.id, check]))
  const reference = await loadChart(REFERENCE_CHART)

  describe('mutants of the reference chart', () => {
    test('every check has a mutant', () => {
      const covered = new Set(mutants.map((mutant) => mutant.check))
      expect(checks.map((check) => check.id).filter((id) => !covered.has(id))).toEqual([])
    })

    for (const mutant of mutants) {
      test.concurrent(`${mutant.check} catches ${mutant.id}`, async () => {
        const check = byId.get(mutant.check)
        if (!check) throw new Error(`mutant ${mutant.id} names check ${mutant.check}, which does not exist; known: ${[...byId.keys()].join(', ')}`)
        const built = await buildMutantChart(mutant)
        try {
          const chart = await loadChart(built.dir)
          const results = await runOnCells(chart, mutant, check)
          const missed = results.filter((result) => result.findings.length === 0).map((result) => result.cell.name)
          expect(missed, `${check.id} found nothing on these cells of the mutant (${mutant.breaks})`).toEqual([])
        } finally {
          await built.remove()
        }
      })

      test.concurrent(`${mutant.check} passes the reference chart on ${mutant.id} cells`, async () => {
        const check = byId.get(mutant.check)
        if (!check) return
        const results = await runOnCells(reference, mutant, check)
        const messages = results.filter((result) => result.findings.length > 0).map((result) => result.message)
        expect(messages).toEqual([])
      })
    }
  })
}
