import { defineConfig } from 'vitest/config'
import { readSuiteConfig } from './helpers/suite/config.ts'

// REPORT_DIR, then "reportDir" in conformance.config.json. A config error is
// reported by the suites themselves, so the default is enough here.
const reportDir = (() => {
  try {
    return readSuiteConfig().reportDir
  } catch {
    return process.env.REPORT_DIR || 'reports'
  }
})()

export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts'],
    // Prints the chart and the helm binaries once, not once per worker.
    globalSetup: ['./helpers/suite/announce-run.ts'],
    // Render cells wait for a free helm slot; a slow chart should fail with
    // its own timeout message, not this one.
    testTimeout: 300_000,
    hookTimeout: 600_000,
    maxConcurrency: 32,
    reporters: [
      process.env.CI ? 'dot' : 'default',
      ['junit', { outputFile: `${reportDir}/junit.xml` }],
      ['./helpers/report/summary-reporter.ts', { reportDir }],
    ],
  },
})
