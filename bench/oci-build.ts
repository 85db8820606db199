// Benchmark: build and push a 500-dashboard artifact, compared with writing
// the same files to disk. Prints time and size ratios.
// Run: npx tsx bench/oci-build.ts  (needs docker-registry on PATH)

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { buildImage } from '../helpers/oci/build.js';
import { RegistryClient } from '../helpers/oci/registry-client.js';
import { startRegistry } from '../helpers/oci/registry-server.js';

const DASHBOARD_COUNT = 500;
const PANELS_PER_DASHBOARD = 12;
const RUNS = 3;

function makeDashboard(index: number): string {
  const panels: Record<string, unknown> = {};
  const items: unknown[] = [];
  for (let panel = 0; panel < PANELS_PER_DASHBOARD; panel++) {
    panels[`panel${panel}`] = {
      kind: 'Panel',
      spec: {
        display: { name: `Requests ${panel} of service ${index}` },
        plugin: { kind: 'TimeSeriesChart', spec: { legend: { position: 'bottom' } } },
        queries: [{ kind: 'TimeSeriesQuery', spec: { plugin: { kind: 'PrometheusTimeSeriesQuery', spec: { query: `sum by (code) (rate(http_requests_total{service="svc-${index}",panel="${panel}"}[5m]))` } } } }],
      },
    };
    items.push({ x: (panel % 2) * 12, y: Math.floor(panel / 2) * 6, width: 12, height: 6, content: { $ref: `#/spec/panels/panel${panel}` } });
  }
  const dashboard = { kind: 'Dashboard', metadata: { name: `service-${index}`, project: 'bench' }, spec: { duration: '1h', panels, layouts: [{ kind: 'Grid', spec: { items } }] } };
  return JSON.stringify(dashboard, null, 2);
}

async function main(): Promise<void> {
  const files = new Map<string, string>([['projects/bench.json', JSON.stringify({ kind: 'Project', metadata: { name: 'bench' }, spec: {} })]]);
  for (let index = 0; index < DASHBOARD_COUNT; index++) files.set(`dashboards/service-${index}.json`, makeDashboard(index));
  const filesBytes = [...files.values()].reduce((sum, text) => sum + Buffer.byteLength(text), 0);

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'perses-oci-bench-'));
  const registry = await startRegistry();
  try {
    const writeTimes: number[] = [];
    const pushTimes: number[] = [];
    let artifactBytes = 0;

    for (let run = 0; run < RUNS; run++) {
      const sourceDir = path.join(workDir, `run-${run}`);
      const writeStart = performance.now();
      for (const [filePath, text] of files) {
        await mkdir(path.dirname(path.join(sourceDir, filePath)), { recursive: true });
        await writeFile(path.join(sourceDir, filePath), text);
      }
      writeTimes.push(performance.now() - writeStart);

      // Each run pushes to a new repository so no blob is skipped as existing.
      const pushStart = performance.now();
      const image = await buildImage({ sourceDir });
      await new RegistryClient({ registry: registry.host }).pushImage(image, { repository: `bench/run-${run}`, tag: 'v1' });
      pushTimes.push(performance.now() - pushStart);
      artifactBytes = image.manifestBytes.length + [...image.blobs.values()].reduce((sum, blob) => sum + blob.length, 0);
    }

    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const writeMs = median(writeTimes);
    const pushMs = median(pushTimes);
    console.log(`dashboards: ${DASHBOARD_COUNT} (${PANELS_PER_DASHBOARD} panels each), files: ${(filesBytes / 1e6).toFixed(2)} MB, runs: ${RUNS} (medians)`);
    console.log(`write files to disk: ${writeMs.toFixed(0)} ms`);
    console.log(`build + push to a loopback registry: ${pushMs.toFixed(0)} ms`);
    console.log(`time ratio (build+push / write): ${(pushMs / writeMs).toFixed(1)}`);
    console.log(`artifact size: ${(artifactBytes / 1e6).toFixed(3)} MB (manifest + config + layer)`);
    console.log(`size ratio (artifact / files): ${(artifactBytes / filesBytes).toFixed(3)}`);
  } finally {
    await registry.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
