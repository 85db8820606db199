import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import type { HelmBinary } from '../helm/binaries.ts'
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

function renderTimeoutMs(request: RenderRequest): number {
  return request.timeoutMs ?? (Number(process.env.RENDER_TIMEOUT_MS) || DEFAULT_RENDER_TIMEOUT_MS)
}

const limiter = new Limiter()
const inFlight = new Map<string, Promise<RenderResult>>()

function cacheDir(): string | undefined {
  if (process.env.RENDER_CACHE === 'off') return undefined
  return process.env.RENDER_CACHE_DIR ?? path.resolve('.cache', 'renders')
}

/** Returns the cache key: everything that can change helm's output. */
export function renderKey(request: RenderRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([
      request.chart.contentHash,
      request.helm.version,
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
 * Results are cached on disk by content (chart files, values, helm and
 * Kubernetes versions), so a rerun with nothing changed skips helm.
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
    const raw = JSON.parse(await readFile(cached, 'utf8')) as RawRender
    return parseRender(raw)
  }

  // Only the helm process takes a slot. Reading the cache and parsing helm's
  // output run on this thread, and keeping a slot through them idles a core.
  const raw = await limiter.run(() => runHelmTemplate(request))
  if (cached && raw.exitCode !== null) {
    await mkdir(path.dirname(cached), { recursive: true })
    const partial = `${cached}.${process.pid}.partial`
    await writeFile(partial, JSON.stringify(raw))
    await rename(partial, cached)
  }
  return parseRender(raw)
}

interface RawRender {
  exitCode: number | null
  stdout: string
  stderr: string
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
    return await new Promise<RawRender>((resolve) => {
      execFile(request.helm.path, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve({ exitCode: null, stdout: '', stderr: `helm ${request.helm.major} not found at ${request.helm.path}; set HELM_BIN or run 'npm ci'` })
          return
        }
        if (error && error.killed) {
          resolve({ exitCode: null, stdout: '', stderr: `helm template of ${request.chart.label} timed out after ${timeoutMs} ms; raise RENDER_TIMEOUT_MS if the chart is just slow` })
          return
        }
        resolve({ exitCode: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
      })
    })
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
