import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import AdmZip from 'adm-zip'

const execFileAsync = promisify(execFile)
const require = createRequire(import.meta.url)

export type HelmMajor = 3 | 4

/** One helm executable the suite can run, with where it came from. */
export interface HelmBinary {
  major: HelmMajor
  version: string
  path: string
  source: 'HELM_BIN' | 'PATH' | 'npm'
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

/** Runs `helm version` and returns the semantic version, e.g. `v3.18.0`. */
export async function readHelmVersion(helmPath: string): Promise<string> {
  let stdout: string
  try {
    ;({ stdout } = await execFileAsync(helmPath, ['version', '--template', '{{.Version}}'], { timeout: 30_000 }))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new HelmNotFoundError(`helm not found at ${helmPath}: the file does not exist; set HELM_BIN to a helm 3 or helm 4 executable`)
    if (code === 'EACCES') throw new HelmNotFoundError(`helm at ${helmPath} is not executable; run chmod +x on it or set HELM_BIN to another helm`)
    throw new HelmNotFoundError(`${helmPath} failed to run as helm ('helm version' exited with: ${firstLine(error)}); set HELM_BIN to a helm 3 or helm 4 executable`)
  }

  const version = stdout.trim()
  if (!/^v\d+\.\d+\.\d+/.test(version)) {
    throw new HelmNotFoundError(`${helmPath} is not helm: 'helm version' printed ${JSON.stringify(version.slice(0, 80))}, expected a version like v3.18.0`)
  }
  return version
}

function majorOf(version: string): number {
  return Number(version.slice(1).split('.')[0])
}

function firstLine(error: unknown): string {
  const err = error as { stderr?: string; message?: string }
  return (err.stderr?.trim() || err.message || String(error)).split('\n')[0] ?? ''
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    if (existsSync(candidate)) return candidate
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
    const version = await readHelmVersion(env.HELM_BIN)
    const major = majorOf(version)
    if (major !== 3 && major !== 4) throw new HelmNotFoundError(`HELM_BIN=${env.HELM_BIN} is helm ${version}; expected helm 3 or helm 4`)
    return [{ major, version, path: env.HELM_BIN, source: 'HELM_BIN' }]
  }

  const found = new Map<HelmMajor, HelmBinary>()
  const onPath = await findOnPath('helm')
  if (onPath) {
    const version = await readHelmVersion(onPath)
    const major = majorOf(version)
    if (major === 3 || major === 4) found.set(major, { major, version, path: onPath, source: 'PATH' })
  }

  for (const major of [3, 4] as const) {
    if (found.has(major)) continue
    const binPath = await extractCarrierHelm(major, cacheDir)
    found.set(major, { major, version: await readHelmVersion(binPath), path: binPath, source: 'npm' })
  }
  return [...found.values()].sort((a, b) => a.major - b.major)
}

/** One line per binary, for the start of a run. */
export function describeHelmBinaries(binaries: HelmBinary[]): string {
  return binaries.map((b) => `helm ${b.major}: ${b.version} (${b.source}: ${b.path})`).join('\n')
}
