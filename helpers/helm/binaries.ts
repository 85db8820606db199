import { createHash } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { chmod, mkdir, rename, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import AdmZip from 'adm-zip'
import { runInProcessGroup } from './process-group.ts'

const require = createRequire(import.meta.url)

export type HelmMajor = 3 | 4

/** One helm executable the suite can run, with where it came from. */
export interface HelmBinary {
  major: HelmMajor
  version: string
  path: string
  source: 'HELM_BIN' | 'PATH' | 'npm'
  /**
   * sha256 of the executable, so the render cache distinguishes two builds
   * that print the same version (a wrapper, a patched build, a fake).
   */
  sha256?: string
}

/**
 * npm packages that carry the official Helm release binaries inside a zip
 * (`lib/layer.zip`, entry `helm/helm`). Their versions are pinned in
 * package-lock.json, so the lockfile decides the exact Helm build.
 */
const HELM_CARRIERS: Record<HelmMajor, string> = {
  3: 'helm3-carrier',
  4: 'helm4-carrier',
}

export class HelmNotFoundError extends Error {
  override name = 'HelmNotFoundError'
}

/** Time limit of `helm version`, which prints at once; a helm that hangs here would hang every render. */
const HELM_VERSION_TIMEOUT_MS = 30_000

/**
 * Runs `helm version` and returns the semantic version, e.g. `v3.18.0`.
 * Fails when the path is missing, a directory, not executable, hangs for
 * `timeoutMs` (default 30 s) or does not print a helm version.
 */
export async function readHelmVersion(helmPath: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? HELM_VERSION_TIMEOUT_MS
  const info = await stat(helmPath).catch(() => undefined)
  if (!info) throw new HelmNotFoundError(`helm not found at ${helmPath}: the file does not exist; set HELM_BIN to a helm 3 or helm 4 executable`)
  if (info.isDirectory()) throw new HelmNotFoundError(`helm at ${helmPath} is a directory, not an executable; set HELM_BIN to the helm file inside it`)

  const run = await runInProcessGroup(helmPath, ['version', '--template', '{{.Version}}'], { timeoutMs, maxBufferBytes: 1024 * 1024 })
  const code = run.spawnError?.code
  if (code === 'ENOENT') throw new HelmNotFoundError(`helm not found at ${helmPath}: the file does not exist; set HELM_BIN to a helm 3 or helm 4 executable`)
  if (code === 'EACCES') throw new HelmNotFoundError(`helm at ${helmPath} is not executable; run chmod +x on it or set HELM_BIN to another helm`)
  if (run.spawnError) throw new HelmNotFoundError(`${helmPath} failed to start as helm (${run.spawnError.message}); set HELM_BIN to a helm 3 or helm 4 executable`)
  if (run.timedOut) throw new HelmNotFoundError(`'${helmPath} version' timed out after ${timeoutMs / 1000} s; set HELM_BIN to a helm that responds to 'helm version'`)
  if (run.exitCode !== 0) {
    const reason = run.stderr.trim().split('\n')[0] || `exit code ${run.exitCode ?? 'none (killed by a signal)'}`
    throw new HelmNotFoundError(`${helmPath} failed to run as helm ('helm version' exited with: ${reason}); set HELM_BIN to a helm 3 or helm 4 executable`)
  }

  const version = run.stdout.trim()
  if (!/^v\d+\.\d+\.\d+/.test(version)) {
    throw new HelmNotFoundError(`${helmPath} is not helm: 'helm version' printed ${JSON.stringify(version.slice(0, 80))}, expected a version like v3.18.0`)
  }
  return version
}

/** Returns the sha256 of a file, read as a stream because helm binaries are tens of MB. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

function majorOf(version: string): number {
  return Number(version.slice(1).split('.')[0])
}

/** Returns the first file of that name in the PATH folders, or undefined. */
function findOnPath(name: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate
  }
  return undefined
}

/**
 * Extracts the helm binary of one carrier package into the project cache,
 * keyed by the package version so a lockfile bump extracts again.
 */
async function extractCarrierHelm(major: HelmMajor, cacheDir: string): Promise<string> {
  const pkgName = HELM_CARRIERS[major]
  let pkgJsonPath: string
  try {
    pkgJsonPath = require.resolve(`${pkgName}/package.json`)
  } catch {
    throw new HelmNotFoundError(`helm ${major} is missing: the npm package ${pkgName} is not installed; run 'npm ci', put a helm ${major} on PATH, or set HELM_BIN`)
  }

  const pkgDir = path.dirname(pkgJsonPath)
  const pkgVersion = (require(pkgJsonPath) as { version: string }).version
  const target = path.join(cacheDir, `${pkgName}-${pkgVersion}`, 'helm')
  if (existsSync(target)) return target

  const zip = new AdmZip(path.join(pkgDir, 'lib', 'layer.zip'))
  const entry = zip.getEntry('helm/helm')
  if (!entry) throw new HelmNotFoundError(`helm ${major} is missing: ${pkgName}@${pkgVersion} has no helm/helm in lib/layer.zip`)

  // Several vitest workers may extract at once; rename makes the last write atomic.
  await mkdir(path.dirname(target), { recursive: true })
  const partial = `${target}.${process.pid}.partial`
  await writeFile(partial, entry.getData())
  await chmod(partial, 0o755)
  await rename(partial, target)
  return target
}

export interface ResolveHelmOptions {
  /** Folder for extracted binaries; defaults to node_modules/.cache/helm. */
  cacheDir?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Finds the helm binaries to test with. HELM_BIN, when set, is the only one.
 * Otherwise a helm on PATH replaces the npm-carried binary of its own major,
 * and the other major still comes from npm.
 */
export async function resolveHelmBinaries(options: ResolveHelmOptions = {}): Promise<HelmBinary[]> {
  const env = options.env ?? process.env
  const cacheDir = options.cacheDir ?? path.resolve('node_modules', '.cache', 'helm')

  if (env.HELM_BIN) {
    // Like a shell, a name without a slash is looked up on PATH.
    const helmPath = env.HELM_BIN.includes('/') ? env.HELM_BIN : findOnPath(env.HELM_BIN, env.PATH)
    if (!helmPath) throw new HelmNotFoundError(`HELM_BIN=${env.HELM_BIN} not found on PATH; set HELM_BIN to a path or add its folder to PATH`)
    const version = await readHelmVersion(helmPath)
    const major = majorOf(version)
    if (major !== 3 && major !== 4) throw new HelmNotFoundError(`HELM_BIN=${env.HELM_BIN} is helm ${version}; expected helm 3 or helm 4`)
    return [{ major, version, path: helmPath, source: 'HELM_BIN', sha256: await hashFile(helmPath) }]
  }

  const found = new Map<HelmMajor, HelmBinary>()
  const onPath = findOnPath('helm', env.PATH)
  if (onPath) {
    const version = await readHelmVersion(onPath)
    const major = majorOf(version)
    if (major === 3 || major === 4) found.set(major, { major, version, path: onPath, source: 'PATH', sha256: await hashFile(onPath) })
  }

  for (const major of [3, 4] as const) {
    if (found.has(major)) continue
    const binPath = await extractCarrierHelm(major, cacheDir)
    found.set(major, { major, version: await readHelmVersion(binPath), path: binPath, source: 'npm', sha256: await hashFile(binPath) })
  }
  return [...found.values()].sort((a, b) => a.major - b.major)
}

/** Returns why cells of a helm major are skipped; HELM_BIN is named only when it is what left the major out. */
export function unavailableHelmReason(major: HelmMajor, available: HelmBinary[], env: NodeJS.ProcessEnv = process.env): string {
  const selected = available.map((binary) => `helm ${binary.major}`).join(', ')
  if (env.HELM_BIN) return `helm ${major} not available: HELM_BIN=${env.HELM_BIN} selects ${selected}`
  return `helm ${major} not available in this run, which has ${selected || 'no helm'}`
}

/** Formats one line per binary, for the start of a run. */
export function describeHelmBinaries(binaries: HelmBinary[]): string {
  return binaries.map((b) => `helm ${b.major}: ${b.version} (${b.source}: ${b.path})`).join('\n')
}
