import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Reporter, TestCase, TestModule } from 'vitest/node'

interface Outcome {
  module: string
  suite: string
  name: string
  state: 'passed' | 'failed' | 'skipped'
  message?: string
}

/**
 * Prints the closing `N passed, N failed, N skipped` line and writes a
 * human summary (checks × verdict, with each failing cell and its message)
 * to <reportDir>/summary.md. The exit status stays vitest's.
 */
export default class SummaryReporter implements Reporter {
  constructor(private readonly options: { reportDir?: string } = {}) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const outcomes: Outcome[] = []
    for (const module of testModules) {
      for (const testCase of module.children.allTests()) outcomes.push(toOutcome(module, testCase))
      const moduleErrors = module.errors()
      if (moduleErrors.length > 0) {
        outcomes.push({ module: module.moduleId, suite: '(file)', name: 'loads', state: 'failed', message: moduleErrors.map((error) => error.message).join('\n') })
      }
    }

    const count = (state: Outcome['state']) => outcomes.filter((outcome) => outcome.state === state).length
    const reportDir = this.options.reportDir ?? process.env.REPORT_DIR ?? 'reports'
    mkdirSync(reportDir, { recursive: true })
    writeFileSync(path.join(reportDir, 'summary.md'), renderSummary(outcomes))
    console.log(`\nreport: ${path.join(reportDir, 'summary.md')} and ${path.join(reportDir, 'junit.xml')}`)
    console.log(`${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`)
  }
}

function toOutcome(module: TestModule, testCase: TestCase): Outcome {
  const result = testCase.result()
  const state = result.state === 'passed' ? 'passed' : result.state === 'failed' ? 'failed' : 'skipped'
  const suite = testCase.parent.type === 'suite' ? testCase.parent.fullName : path.basename(module.moduleId)
  const message = result.state === 'failed' ? result.errors?.map((error) => error.message).join('\n') : undefined
  return { module: module.moduleId, suite, name: testCase.name, state, message }
}

/** Groups outcomes by suite and check: the check is the part of a name after ›. */
function renderSummary(outcomes: Outcome[]): string {
  const failed = outcomes.filter((outcome) => outcome.state === 'failed')
  const verdict = failed.length === 0 ? 'PASS' : 'FAIL'
  const lines = [`# Conformance summary: ${verdict}`, '', `${outcomes.length - failed.length - outcomes.filter((o) => o.state === 'skipped').length} passed, ${failed.length} failed, ${outcomes.filter((o) => o.state === 'skipped').length} skipped`, '']

  const groups = new Map<string, Outcome[]>()
  for (const outcome of outcomes) {
    const check = outcome.name.includes(' › ') ? outcome.name.split(' › ').pop()! : outcome.name
    const key = `${outcome.suite} | ${check}`
    groups.set(key, [...(groups.get(key) ?? []), outcome])
  }

  lines.push('| suite | check | passed | failed | skipped |', '| --- | --- | --- | --- | --- |')
  for (const [key, group] of [...groups.entries()].sort()) {
    const [suite, check] = key.split(' | ')
    const tally = (state: Outcome['state']) => group.filter((outcome) => outcome.state === state).length
    lines.push(`| ${suite} | ${check} | ${tally('passed')} | ${tally('failed')} | ${tally('skipped')} |`)
  }

  if (failed.length > 0) {
    lines.push('', '## Failures', '')
    for (const outcome of failed) {
      lines.push(`### ${outcome.suite} › ${outcome.name}`, '', '```', (outcome.message ?? '').trim(), '```', '')
    }
  }
  return `${lines.join('\n')}\n`
}
