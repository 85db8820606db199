// Benchmark: push, install-to-visible, upgrade-to-visible and
// rollback-to-visible of the live upgrade/rollback scenario (emptyDir file
// database), several runs, written to docs/benchmarks-live.md.
// Run: npx tsx bench/live.ts  (needs a ready local cluster, which it selects
// with LIVE=1, or LIVE_KUBECONFIG)
// LIVE_BENCH_RUNS sets the number of runs (default 3).

import { spawnSync } from 'node:child_process';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { PROJECT_ROOT } from '../helpers/cluster/layout.js';
import type { StepTiming } from '../helpers/live/scenario.js';

const RUNS = Number(process.env.LIVE_BENCH_RUNS) || 3;
const SCENARIO = 'upgrade-rollback-persistence-false';
const STEPS = ['push artifact v1', 'install to visible', 'upgrade to visible', 'rollback to visible'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const samples = new Map<string, number[]>(STEPS.map((step) => [step, []]));

  for (let run = 1; run <= RUNS; run++) {
    const reportDir = await mkdtemp(path.join(os.tmpdir(), 'live-bench-'));
    process.stdout.write(`run ${run}/${RUNS}\n`);
    const result = spawnSync('npx', ['vitest', 'run', 'suites/live/upgrade-rollback.test.ts', '-t', 'persistence=false'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LIVE: process.env.LIVE ?? '1', REPORT_DIR: reportDir },
      stdio: 'inherit',
    });
    if (result.status !== 0) throw new Error(`run ${run} failed (exit ${result.status}); read the output above and ${reportDir}/live/${SCENARIO}`);

    const timings = JSON.parse(await readFile(path.join(reportDir, 'live', SCENARIO, 'timings.json'), 'utf8')) as StepTiming[];
    for (const step of STEPS) {
      const timing = timings.find((entry) => entry.step === step);
      if (!timing) throw new Error(`run ${run} has no timing for "${step}"; the scenario's step names changed`);
      samples.get(step)?.push(timing.durationMs);
    }
  }

  const lines = [
    '# Live benchmark: time until the Perses API shows an artifact version',
    '',
    `Recorded by \`npx tsx bench/live.ts\` on ${new Date().toISOString().slice(0, 10)}: ${RUNS} runs of the scenario "upgrade and rollback: persistence=false"`,
    `on ${os.cpus().length} cores and ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${process.env.LIVE_KUBECONFIG || process.env.KUBECONFIG ? 'a cluster from LIVE_KUBECONFIG or KUBECONFIG' : 'the local single-node cluster'},`,
    `with the Perses ${process.env.PERSES_IMAGE ? `image ${process.env.PERSES_IMAGE}` : 'stand-in'} and a registry on loopback.`,
    'Each step runs from the helm command (or the push) until the API lists the expected dashboards with the expected spec digests.',
    '',
    '| step | median | min | max |',
    '| --- | --- | --- | --- |',
    ...STEPS.map((step) => {
      const values = samples.get(step) ?? [];
      const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`);
      return `| ${step} | ${seconds(median(values))} | ${seconds(Math.min(...values))} | ${seconds(Math.max(...values))} |`;
    }),
    '',
  ];
  await writeFile(path.join(PROJECT_ROOT, 'docs', 'benchmarks-live.md'), lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\nwritten to docs/benchmarks-live.md\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
