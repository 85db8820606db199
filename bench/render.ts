// Benchmark: the render engine against a bare `helm template` loop on the
// same cells, cold and cached. Prints wall times, ratios and cells per second.
// Run: npx tsx bench/render.ts

import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { ALL_CHECKS } from '../helpers/checks/index.ts'
import type { Cell } from '../helpers/checks/types.ts'
import { resolveHelmBinaries, type HelmBinary } from '../helpers/helm/binaries.ts'
import { loadChart, type ChartUnderTest } from '../helpers/render/chart.ts'
import { Limiter } from '../helpers/render/limiter.ts'
import { REFERENCE_CHART } from '../helpers/render/mutant.ts'
import { forgetRenders } from '../helpers/render/render-chart.ts'
import { ABSENT } from '../helpers/render/values.ts'
import { expandMatrix } from '../helpers/suite/matrix.ts'
import { buildCheckContext, runCheck } from '../helpers/suite/run-check.ts'

// The axes of the OCI artifact mount suite: 144 cells over both helm majors.
const AXES = {
  'ociArtifacts.image.pullPolicy': ['Always', 'IfNotPresent', 'Never', ABSENT],
  'ociArtifacts.subPath': [ABSENT, 'prod', 'envs/staging'],
  'ociArtifacts.mountPath': ['/etc/perses/provisioning', '/etc/perses/provisioning/', '/etc/perses/provisioning/oci'],
  helm: [3, 4] as Array<3 | 4>,
  kube: ['1.33', '1.35'],
}
const BASE = {
  ociArtifacts: {
    name: 'perses-manifests',
    image: { reference: 'registry.example.com/perses-manifests:v1.0.0' },
    mountPath: '/etc/perses/provisioning',
  },
}

// rollout-trigger renders four more cells per cell, which the bare loop
// does not, so it stays out of the comparison.
const CHECKS = ALL_CHECKS.filter((check) => check.id !== 'rollout-trigger')

async function timeMs(task: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await task()
  return performance.now() - start
}

/** Runs `helm template` once per cell, one process per core, and nothing else. */
async function runBareLoop(chart: ChartUnderTest, cells: Cell[], helms: Map<number, HelmBinary>): Promise<void> {
  const limiter = new Limiter()
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-bare-'))
  try {
    await Promise.all(cells.map((cell, index) => limiter.run(async () => {
      const valuesFile = path.join(workDir, `values-${index}.yaml`)
      await writeFile(valuesFile, JSON.stringify(cell.values))
      const args = ['template', 'perses', chart.source, '--namespace', 'default', '--kube-version', cell.kubeVersion, '--values', valuesFile]
      await new Promise<void>((resolve, reject) => {
        execFile(helms.get(cell.helmMajor)!.path, args, { maxBuffer: 64 * 1024 * 1024 }, (error) => (error ? reject(error) : resolve()))
      })
    })))
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

/** Renders every cell through the engine and runs every check that applies, as a suite does. */
async function runSuite(chart: ChartUnderTest, cells: Cell[], helms: Map<number, HelmBinary>): Promise<void> {
  await Promise.all(cells.map(async (cell) => {
    const context = await buildCheckContext(chart, cell, helms.get(cell.helmMajor)!)
    for (const check of CHECKS) await runCheck(check, context)
  }))
}

/** Rounds of bare, cold and cached runs; the medians are reported, since other work on the machine adds noise. */
const ROUNDS = 3

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function main(): Promise<void> {
  const chart = await loadChart(REFERENCE_CHART)
  const helms = new Map((await resolveHelmBinaries()).map((binary) => [binary.major as number, binary]))
  const { cells: expanded } = expandMatrix({ base: BASE, axes: AXES, mode: 'full', defaultHelm: [3, 4], defaultKube: '1.35' })
  const cells: Cell[] = expanded.map((cell) => ({ ...cell, suite: 'bench' }))

  // Warm the file system cache, and load and compile the checks' schema
  // models once, before timing anything: a suite run pays that once too.
  const warmCacheDir = await mkdtemp(path.join(os.tmpdir(), 'bench-warm-'))
  process.env.RENDER_CACHE_DIR = warmCacheDir
  await runBareLoop(chart, cells.slice(0, 4), helms)
  await runSuite(chart, cells.slice(0, 4), helms)
  await rm(warmCacheDir, { recursive: true, force: true })

  const bare: number[] = []
  const cold: number[] = []
  const cached: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'bench-cache-'))
    process.env.RENDER_CACHE_DIR = cacheDir
    try {
      bare.push(await timeMs(() => runBareLoop(chart, cells, helms)))
      forgetRenders()
      cold.push(await timeMs(() => runSuite(chart, cells, helms)))
      forgetRenders()
      cached.push(await timeMs(() => runSuite(chart, cells, helms)))
    } finally {
      await rm(cacheDir, { recursive: true, force: true })
    }
  }

  const [bareMs, coldMs, cachedMs] = [median(bare), median(cold), median(cached)]
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  console.log(`cells: ${cells.length} (helm ${[...helms.values()].map((helm) => helm.version).join(', ')}), ${os.availableParallelism()} cores, checks: ${CHECKS.length}, median of ${ROUNDS} rounds`)
  console.log(`bare helm template loop: ${seconds(bareMs)} (${(cells.length / (bareMs / 1000)).toFixed(1)} cells/s)`)
  console.log(`suite, cold cache:       ${seconds(coldMs)} (${(cells.length / (coldMs / 1000)).toFixed(1)} cells/s)`)
  console.log(`suite, cached rerun:     ${seconds(cachedMs)} (${(cells.length / (cachedMs / 1000)).toFixed(1)} cells/s)`)
  console.log(`cold suite ÷ bare loop:  ${(coldMs / bareMs).toFixed(3)} (target ≤ 1.2)`)
  console.log(`cached ÷ cold:           ${(cachedMs / coldMs).toFixed(3)} (target ≤ 0.1)`)
}

await main()
