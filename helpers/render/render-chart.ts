import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import type { HelmBinary } from '../helm/binaries.ts'
import { runInProcessGroup } from '../helm/process-group.ts'
import type { ChartUnderTest } from './chart.ts'
import { Limiter } from './limiter.ts'
import type { Values } from './values.ts'

/** One object from the rendered manifest, with the template that produced it. */
export interface RenderedObject {
  apiVersion?: string
  kind?: string
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> }
  [field: string]: unknown
}

export interface RenderedDocument {
  object: RenderedObject
  /** Template path from helm's "# Source:" comment. */
  template: string | undefined
}

export type RenderFailureKind = 'schema' | 'template' | 'helm'

export type RenderResult =
  | { ok: true; documents: RenderedDocument[]; manifest: string }
  | { ok: false; kind: RenderFailureKind; message: string }

export interface RenderRequest {
  chart: ChartUnderTest
  helm: HelmBinary
  values: Values
  /** Further values files after `values`, in order, as `helm -f a -f b` takes them. */
  layers?: Values[]
  kubeVersion: string
  releaseName?: string
  namespace?: string
  /** Limit for this helm run; defaults to RENDER_TIMEOUT_MS or 60 s. */
  timeoutMs?: number
}

/** Time limit for one `helm template`, so a chart that never finishes fails instead of hanging the suite. */
const DEFAULT_RENDER_TIMEOUT_MS = 60_000

/**
 * Returns RENDER_TIMEOUT_MS, or 60000 when it is unset. Throws on anything
 * but a positive whole number, because a typo must not quietly become the
 * default or crash the timer.
 */
export function readRenderTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.RENDER_TIMEOUT_MS
  if (text === undefined) return DEFAULT_RENDER_TIMEOUT_MS

  // setTimeout accepts at most 2^31 - 1 ms (about 24.8 days).
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || value <= 0 || value > 2_147_483_647) {
    throw new Error(`RENDER_TIMEOUT_MS=${JSON.stringify(text)} is invalid: expected a positive whole number of milliseconds, e.g. 60000; fix it or unset it for the default`)
  }
  return value
}

function renderTimeoutMs(request: RenderRequest): number {
  return request.timeoutMs ?? readRenderTimeoutMs()
}

const limiter = new Limiter()
const inFlight = new Map<string, Promise<RenderResult>>()

function cacheDir(): string | undefined {
  if (process.env.RENDER_CACHE === 'off') return undefined
  return process.env.RENDER_CACHE_DIR ?? path.resolve('.cache', 'renders')
}

const binaryDigests = new Map<string, string>()

/**
 * Returns the binary's sha256: the one resolveHelmBinaries recorded, or
 * the file's, read once per path per process.
 */
function helmDigest(helm: HelmBinary): string {
  if (helm.sha256) return helm.sha256
  let digest = binaryDigests.get(helm.path)
  if (digest === undefined) {
    try {
      digest = createHash('sha256').update(readFileSync(helm.path)).digest('hex')
    } catch (error) {
      // The render reports the missing binary; the key only needs to differ.
      digest = `unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`
    }
    binaryDigests.set(helm.path, digest)
  }
  return digest
}

/** Returns the cache key: everything that can change helm's output. */
export function renderKey(request: RenderRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([
      request.chart.contentHash,
      request.helm.version,
      helmDigest(request.helm),
      request.kubeVersion,
      request.releaseName ?? 'perses',
      request.namespace ?? 'default',
      request.values,
      ...(request.layers && request.layers.length > 0 ? [request.layers] : []),
    ]))
    .digest('hex')
}

/**
 * Renders a chart with `helm template`, at most one process per core.
 * Results are cached on disk by content (chart files, values, helm version
 * and binary sha256, Kubernetes version), so a rerun with nothing changed
 * skips helm.
 * Set RENDER_CACHE=off to always run helm.
 */
export function renderChart(request: RenderRequest): Promise<RenderResult> {
  const key = renderKey(request)
  const pending = inFlight.get(key)
  if (pending) return pending

  const result = renderCached(key, request)
  inFlight.set(key, result)
  return result
}

/**
 * Forgets renders held in memory, so the next request reads the disk cache
 * or runs helm again. For benchmarks that time a cached rerun in one process.
 */
export function forgetRenders(): void {
  inFlight.clear()
}

async function renderCached(key: string, request: RenderRequest): Promise<RenderResult> {
  const dir = cacheDir()
  const cached = dir ? path.join(dir, key.slice(0, 2), `${key}.json`) : undefined
  if (cached && existsSync(cached)) {
    const raw = await readCacheEntry(cached)
    if (raw) return parseRender(raw)
  }

  // Only the helm process takes a slot. Reading the cache and parsing helm's
  // output run on this thread, and keeping a slot through them idles a core.
  const raw = await limiter.run(() => runHelmTemplate(request))
  if (dir && cached && raw.exitCode !== null) await writeCacheEntry(dir, cached, raw)
  return parseRender(raw)
}

interface RawRender {
  exitCode: number | null
  stdout: string
  stderr: string
}

const warned = new Set<string>()

/** Prints a warning once per key, so a broken cache reads as one line, not one per cell. */
function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return
  warned.add(key)
  console.warn(message)
}

function isRawRender(value: unknown): value is RawRender {
  if (typeof value !== 'object' || value === null) return false
  const entry = value as Record<string, unknown>
  return Number.isInteger(entry.exitCode) && typeof entry.stdout === 'string' && typeof entry.stderr === 'string'
}

/**
 * Reads a cached render. A truncated or foreign file is a miss, and
 * the render that follows overwrites it.
 */
async function readCacheEntry(file: string): Promise<RawRender | undefined> {
  let reason: string
  try {
    const entry: unknown = JSON.parse(await readFile(file, 'utf8'))
    if (isRawRender(entry)) return entry
    reason = 'expected {exitCode, stdout, stderr}'
  } catch (error) {
    reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
  }
  warnOnce(`corrupt:${file}`, `render cache entry ${file} is corrupt (${reason}); rendering again and overwriting it`)
  return undefined
}

/** Stores a render; a cache folder that cannot be written is warned about once and skipped. */
async function writeCacheEntry(dir: string, file: string, raw: RawRender): Promise<void> {
  const partial = `${file}.${process.pid}.partial`
  try {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(partial, JSON.stringify(raw))
    await rename(partial, file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    warnOnce(`unwritable:${dir}`, `render cache ${dir} is not writable (${code}); continuing without cache; set RENDER_CACHE_DIR to a writable folder or RENDER_CACHE=off`)
    await rm(partial, { force: true }).catch(() => undefined)
  }
}

async function runHelmTemplate(request: RenderRequest): Promise<RawRender> {
  // JSON is YAML, and it keeps every string exactly as the suite wrote it.
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'render-'))
  const valueArgs: string[] = []
  for (const [index, layer] of [request.values, ...(request.layers ?? [])].entries()) {
    const valuesFile = path.join(workDir, `values-${index}.yaml`)
    await writeFile(valuesFile, JSON.stringify(layer))
    valueArgs.push('--values', valuesFile)
  }

  const args = [
    'template', request.releaseName ?? 'perses', request.chart.source,
    '--namespace', request.namespace ?? 'default',
    '--kube-version', request.kubeVersion,
    ...valueArgs,
  ]
  const timeoutMs = renderTimeoutMs(request)
  try {
    // helm runs in its own process group, so a timeout also stops the
    // processes it started (plugins, post-renderers).
    const run = await runInProcessGroup(request.helm.path, args, { timeoutMs })
    if (run.spawnError?.code === 'ENOENT') {
      return { exitCode: null, stdout: '', stderr: `helm ${request.helm.major} not found at ${request.helm.path}; set HELM_BIN or run 'npm ci'` }
    }
    if (run.spawnError) {
      return { exitCode: null, stdout: '', stderr: `helm ${request.helm.major} at ${request.helm.path} failed to start (${run.spawnError.code ?? run.spawnError.message}); set HELM_BIN to a helm executable or run 'npm ci'` }
    }
    if (run.timedOut) {
      return { exitCode: null, stdout: '', stderr: `helm template of ${request.chart.label} timed out after ${timeoutMs} ms; raise RENDER_TIMEOUT_MS if the chart is just slow` }
    }
    if (run.overflowed) {
      return { exitCode: null, stdout: '', stderr: `helm template of ${request.chart.label} printed more than 256 MiB; check the chart for a runaway loop` }
    }
    return { exitCode: run.exitCode ?? 1, stdout: run.stdout, stderr: run.stderr }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

function parseRender(raw: RawRender): RenderResult {
  if (raw.exitCode === null) return { ok: false, kind: 'helm', message: raw.stderr }
  if (raw.exitCode !== 0) {
    const message = raw.stderr.trim()
    const kind = /values don't meet the specifications of the schema/.test(message) ? 'schema' : 'template'
    return { ok: false, kind, message }
  }

  const documents: RenderedDocument[] = []
  for (const doc of YAML.parseAllDocuments(raw.stdout, { version: '1.1' })) {
    if (doc.errors.length > 0) {
      return { ok: false, kind: 'template', message: `helm printed a manifest that is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` }
    }
    const object = doc.toJS({ maxAliasCount: 1000 }) as RenderedObject | null
    if (object === null || typeof object !== 'object') continue
    const source = /#\s*Source:\s*(\S+)/.exec(doc.commentBefore ?? '')?.[1]
    documents.push({ object, template: source })
  }
  return { ok: true, documents, manifest: raw.stdout }
}
