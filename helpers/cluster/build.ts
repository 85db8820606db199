// Builds the cluster's programs from the pinned Go modules under
// cluster/go and caches them by version and by a hash of each module's
// files, so that only the first start pays for the build.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { run } from './exec.js';
import { cacheRoot, GO_MODULES_DIR, VERSIONS } from './layout.js';
import { formatDuration, type Reporter } from './report.js';

interface Component {
  /** Folder under cluster/go that contains the module. */
  module: string;
  version: string;
  /** Packages to build; each yields a binary named after its last path element. */
  packages: string[];
  /** runc needs cgo for its nsenter C code; the rest build as static Go. */
  cgo: boolean;
  /** Go build tags. */
  tags?: string[];
  /** Extra -X settings for the linker, as package.variable=value. */
  linkerVariables?: string[];
}

const COMPONENTS: Record<string, Component> = {
  containerd: {
    module: 'containerd',
    version: VERSIONS.containerd,
    packages: [
      'github.com/containerd/containerd/v2/cmd/containerd',
      'github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2',
      'github.com/containerd/containerd/v2/cmd/ctr',
    ],
    cgo: false,
  },
  // containerd puts a seccomp profile on every pod sandbox, which runc
  // rejects unless it is built with seccomp support (libseccomp-dev).
  runc: { module: 'runc', version: VERSIONS.runc, packages: ['github.com/opencontainers/runc'], cgo: true, tags: ['seccomp'] },
  etcd: { module: 'etcd', version: VERSIONS.etcd, packages: ['.'], cgo: false },
  cni: {
    module: 'cni',
    version: VERSIONS.cni,
    packages: [
      'github.com/containernetworking/plugins/plugins/main/bridge',
      'github.com/containernetworking/plugins/plugins/main/loopback',
      'github.com/containernetworking/plugins/plugins/ipam/host-local',
      'github.com/containernetworking/plugins/plugins/meta/portmap',
    ],
    cgo: false,
  },
  pause: { module: 'pause', version: 'v1', packages: ['.'], cgo: false },
  // Built last because it takes by far the longest, so a broken toolchain shows up sooner.
  // Without the release version stamped in, the API server reports
  // v0.0.0-master, which Helm's semverCompare rejects as invalid.
  kube: { module: 'kube', version: VERSIONS.kubernetes, packages: ['.'], cgo: false, linkerVariables: kubernetesVersionVariables() },
};

export type ComponentName = keyof typeof COMPONENTS;

/** Absolute paths of every binary the cluster runs. */
export interface Binaries {
  kube: string;
  etcd: string;
  containerd: string;
  ctr: string;
  runc: string;
  cniDir: string;
  pause: string;
}

function kubernetesVersionVariables(): string[] {
  const [major, minor] = VERSIONS.kubernetes.slice(1).split('.');
  const values = { gitVersion: VERSIONS.kubernetes, gitMajor: major, gitMinor: minor, gitTreeState: 'clean' };
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) =>
    Object.entries(values).map(([variable, value]) => `${pkg}.${variable}=${value}`),
  );
}

const COMPLETE_MARKER = '.complete';
const BUILD_FLAGS = ['-trimpath'];
const LINKER_FLAGS = ['-s', '-w'];
// Two parallel compile jobs by default, so that a build leaves room for
// other work on a small shared machine. CLUSTER_BUILD_JOBS changes it.
const DEFAULT_BUILD_JOBS = 2;
const PROGRESS_INTERVAL_MS = 30_000;

/**
 * Builds every missing binary and returns their paths. A cached build is
 * reused when its version and module files are unchanged. A partial build
 * from an interrupted run is thrown away and redone.
 */
export async function ensureBinaries(reporter: Reporter): Promise<Binaries> {
  const dirs: Record<string, string> = {};
  for (const [name, component] of Object.entries(COMPONENTS)) {
    dirs[name] = await ensureComponent(name, component, reporter);
  }

  const dirOf = (name: string): string => dirs[name] as string;
  return {
    kube: path.join(dirOf('kube'), 'kube'),
    etcd: path.join(dirOf('etcd'), 'etcd'),
    containerd: path.join(dirOf('containerd'), 'containerd'),
    ctr: path.join(dirOf('containerd'), 'ctr'),
    runc: path.join(dirOf('runc'), 'runc'),
    cniDir: dirOf('cni'),
    pause: path.join(dirOf('pause'), 'pause'),
  };
}

/** Returns the components that have no cached build yet. */
export async function listMissingComponents(): Promise<string[]> {
  const missing: string[] = [];
  for (const [name, component] of Object.entries(COMPONENTS)) {
    if (!existsSync(path.join(await cachedDir(name, component), COMPLETE_MARKER))) missing.push(name);
  }
  return missing;
}

async function cachedDir(name: string, component: Component): Promise<string> {
  const moduleDir = path.join(GO_MODULES_DIR, component.module);
  const settings = [...(component.tags ?? []), ...(component.linkerVariables ?? [])];
  return path.join(cacheRoot(), 'bin', `${name}-${component.version}-${await hashModule(moduleDir, settings)}`);
}

async function ensureComponent(name: string, component: Component, reporter: Reporter): Promise<string> {
  const moduleDir = path.join(GO_MODULES_DIR, component.module);
  const outDir = await cachedDir(name, component);
  if (existsSync(path.join(outDir, COMPLETE_MARKER))) return outDir;

  const partialDir = `${outDir}.partial`;
  await rm(partialDir, { recursive: true, force: true });
  await mkdir(partialDir, { recursive: true });

  const jobs = Number(process.env.CLUSTER_BUILD_JOBS) || DEFAULT_BUILD_JOBS;
  const startedMs = Date.now();
  reporter.info(`building ${name} ${component.version} with ${jobs} compile jobs (first build only; Kubernetes takes the longest)`);
  let compiledPackages = 0;
  const progress = setInterval(() => {
    reporter.info(`  ${name}: ${compiledPackages} packages compiled, ${formatDuration(Date.now() - startedMs)} so far`);
  }, PROGRESS_INTERVAL_MS);

  try {
    // -v prints one line per package as it is compiled, which counts progress.
    const tags = component.tags ? [`-tags=${component.tags.join(',')}`] : [];
    const linkerFlags = [...LINKER_FLAGS, ...(component.linkerVariables ?? []).map((setting) => `-X ${setting}`)].join(' ');
    await run('go', ['build', `-p=${jobs}`, '-v', ...BUILD_FLAGS, `-ldflags=${linkerFlags}`, ...tags, '-o', `${partialDir}/`, ...component.packages], {
      cwd: moduleDir,
      env: { ...process.env, CGO_ENABLED: component.cgo ? '1' : '0' },
      onStderr: (chunk) => (compiledPackages += chunk.split('\n').filter((line) => line.trim() !== '').length),
    });
  } catch (error) {
    throw new Error(`build of ${name} ${component.version} in cluster/go/${component.module} failed; it needs Go and the Go module proxy: ${(error as Error).message}`);
  } finally {
    clearInterval(progress);
  }

  await writeFile(path.join(partialDir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  await rm(outDir, { recursive: true, force: true });
  await rename(partialDir, outDir);
  reporter.info(`  ${name}: built in ${formatDuration(Date.now() - startedMs)}`);
  return outDir;
}

/** Hashes the module's go.mod, go.sum and Go sources, so an edit rebuilds. */
async function hashModule(moduleDir: string, settings: string[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update([...BUILD_FLAGS, ...LINKER_FLAGS, ...settings].join(' '));
  const names = (await readdir(moduleDir)).filter((file) => file === 'go.mod' || file === 'go.sum' || file.endsWith('.go')).sort();
  for (const file of names) {
    hash.update(file);
    hash.update(await readFile(path.join(moduleDir, file)));
  }
  return hash.digest('hex').slice(0, 12);
}
