import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node'
import { readSuiteConfig } from '../suite/config.ts'

interface Outcome {
  suite: string
  name: string
  state: 'passed' | 'failed' | 'skipped'
  message?: string
  warnings: string[]
  /** Behaviours a live scenario reports without failing, e.g. stale dashboards. */
  findings: string[]
}

/** Failures that share a check and a message, reported once with their cells. */
interface FailureGroup {
  title: string
  message: string
  cells: string[]
}

/**
 * Prints the closing `N passed, N failed, N skipped` line and writes a
 * human summary to <reportDir>/summary.md: the chart, the verdict, checks ×
 * verdict for the chart's cells, then failures grouped by check and message,
 * then warnings. Errors outside tests (a file that does not load, a failing
 * hook) count as failures. The exit status stays vitest's.
 */
export default class SummaryReporter implements Reporter {
  constructor(private readonly options: { reportDir?: string } = {}) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const outcomes: Outcome[] = []
    for (const module of testModules) {
      for (const testCase of module.children.allTests()) outcomes.push(toOutcome(module, testCase))
      outcomes.push(...errorsOutsideTests(module))
    }

    const count = (state: Outcome['state']) => outcomes.filter((outcome) => outcome.state === state).length
    const reportDir = this.options.reportDir ?? process.env.REPORT_DIR ?? 'reports'
    mkdirSync(reportDir, { recursive: true })
    writeFileSync(path.join(reportDir, 'summary.md'), renderSummary(outcomes, chartLabel()))
    console.log(`\nreport: ${path.join(reportDir, 'summary.md')} and ${path.join(reportDir, 'junit.xml')}`)
    console.log(`${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`)
  }
}

function chartLabel(): string {
  try {
    return readSuiteConfig().chart
  } catch (error) {
    return `unknown (${(error as Error).message})`
  }
}

function matrixMode(): string {
  try {
    return readSuiteConfig().matrix
  } catch {
    return 'full'
  }
}

function toOutcome(module: TestModule, testCase: TestCase): Outcome {
  const result = testCase.result()
  let state: Outcome['state'] = 'skipped'
  if (result.state === 'passed' || result.state === 'failed') state = result.state
  const suite = testCase.parent.type === 'suite' ? testCase.parent.fullName : path.basename(module.moduleId)
  const message = result.state === 'failed' ? result.errors?.map((error) => error.message).join('\n') : undefined
  const annotations = testCase.annotations()
  const warnings = annotations.filter((annotation) => annotation.type === 'warning').map((annotation) => annotation.message)
  const findings = annotations.filter((annotation) => annotation.message.startsWith('finding: ')).map((annotation) => annotation.message.slice('finding: '.length))
  return { suite, name: testCase.name, state, message, warnings, findings }
}

/** Turns errors of a file or of a suite's hooks into failed outcomes, so they cannot hide behind a PASS. */
function errorsOutsideTests(module: TestModule): Outcome[] {
  const file = path.relative(process.cwd(), module.moduleId)
  const outcomes: Outcome[] = []
  if (module.errors().length > 0) {
    outcomes.push({ suite: file, name: 'file loads', state: 'failed', message: module.errors().map((error) => error.message).join('\n'), warnings: [], findings: [] })
  }
  for (const suite of module.children.allSuites() as Iterable<TestSuite>) {
    if (suite.errors().length > 0) {
      outcomes.push({ suite: suite.fullName, name: 'suite hooks run', state: 'failed', message: suite.errors().map((error) => error.message).join('\n'), warnings: [], findings: [] })
    }
  }
  return outcomes
}

/** True for a render cell's test: its name reads `<cell> › <check>`. */
function isCell(outcome: Outcome): boolean {
  return outcome.name.includes(' › ')
}

function checkOf(outcome: Outcome): string {
  return isCell(outcome) ? outcome.name.split(' › ').pop()! : outcome.name
}

/**
 * Drops the first line (check, chart and cell) and the values line of a
 * check failure, so cells that fail for the same reason share a message.
 */
function reasonOf(message: string): string {
  const lines = message.trim().split('\n')
  const body = lines.slice(1).filter((line) => !line.trimStart().startsWith('values: '))
  return (body.length > 0 ? body : lines).join('\n')
}

function groupFailures(failed: Outcome[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>()
  for (const outcome of failed) {
    const title = `${outcome.suite} › ${checkOf(outcome)}`
    const message = (outcome.message ?? '').trim()
    const key = `${title}\n${reasonOf(message).replace(/cell [^(]*\(/g, '')}`
    const group = groups.get(key) ?? { title, message, cells: [] }
    group.cells.push(isCell(outcome) ? outcome.name.split(' › ')[0]! : outcome.name)
    groups.set(key, group)
  }
  return [...groups.values()]
}

function tallyTable(outcomes: Outcome[]): string[] {
  const groups = new Map<string, Outcome[]>()
  for (const outcome of outcomes) {
    const key = `${outcome.suite} | ${checkOf(outcome)}`
    groups.set(key, [...(groups.get(key) ?? []), outcome])
  }

  const lines = ['| suite | check | passed | failed | skipped | warnings |', '| --- | --- | --- | --- | --- | --- |']
  for (const [key, group] of [...groups.entries()].sort()) {
    const [suite, check] = key.split(' | ')
    const tally = (state: Outcome['state']) => group.filter((outcome) => outcome.state === state).length
    const warned = group.filter((outcome) => outcome.warnings.length > 0).length
    lines.push(`| ${suite} | ${check} | ${tally('passed')} | ${tally('failed')} | ${tally('skipped')} | ${warned} |`)
  }
  return lines
}

function renderSummary(outcomes: Outcome[], chart: string): string {
  const failed = outcomes.filter((outcome) => outcome.state === 'failed')
  const skipped = outcomes.filter((outcome) => outcome.state === 'skipped').length
  const passed = outcomes.length - failed.length - skipped
  const lines = [
    `# Conformance summary: ${failed.length === 0 ? 'PASS' : 'FAIL'}`,
    '',
    `Chart: ${chart}`,
    '',
    ...(matrixMode() === 'pairwise' ? ['Matrix: pairwise, so each pair of axis values meets in at least one cell, not every combination.', ''] : []),
    `${passed} passed, ${failed.length} failed, ${skipped} skipped`,
    '',
  ]

  const cells = outcomes.filter(isCell)
  if (cells.length > 0) lines.push('## Chart checks', '', ...tallyTable(cells), '')
  const others = outcomes.filter((outcome) => !isCell(outcome))
  if (others.length > 0) lines.push('## Other tests', '', 'The tool\'s own tests, the OCI tools, the cluster and the live scenarios.', '', ...tallyTable(others), '')

  const groups = groupFailures(failed)
  if (groups.length > 0) {
    lines.push('## Failures', '', `${failed.length} failed tests in ${groups.length} groups of the same check and reason; each shows one full message.`, '')
    for (const group of groups) {
      const shown = group.cells.slice(0, 8).map((cell) => `- ${cell}`)
      const more = group.cells.length > 8 ? [`- … and ${group.cells.length - 8} more`] : []
      lines.push(`### ${group.title} (${group.cells.length})`, '', ...shown, ...more, '', '```', group.message, '```', '')
    }
  }

  const found = outcomes.filter((outcome) => outcome.findings.length > 0)
  if (found.length > 0) {
    lines.push('## Live findings', '', 'Behaviours the live scenarios observed and report without failing; each scenario\'s report.md under the report folder\'s live/ has its steps and times.', '')
    for (const outcome of found) lines.push(`### ${outcome.name}`, '', ...outcome.findings.map((finding) => `- ${finding}`), '')
  }

  const warned = outcomes.filter((outcome) => outcome.warnings.length > 0)
  if (warned.length > 0) {
    lines.push('## Warnings', '', 'Risks that do not fail the run.', '')
    const seen = new Set<string>()
    for (const outcome of warned) {
      for (const warning of outcome.warnings) {
        const reason = reasonOf(warning)
        if (seen.has(reason)) continue
        seen.add(reason)
        lines.push(`### ${outcome.suite} › ${outcome.name}`, '', '```', warning.trim(), '```', '')
      }
    }
  }
  return `${lines.join('\n')}\n`
}
