// Starts, stops and describes the local single-node cluster: etcd, the
// Kubernetes control plane, containerd with runc and CNI, and a kubelet,
// all on 127.0.0.1, the way upstream's local-up-cluster runs them.

import { existsSync } from 'node:fs';
import { mkdir, readdir, readlink, rm, lstat } from 'node:fs/promises';
import path from 'node:path';

import { coreApi, runSmokePod, waitForDefaultServiceAccount, waitForNodeReady } from './api-checks.js';
import { ensureBinaries, listMissingComponents, type Binaries } from './build.js';
import * as components from './components.js';
import { allowPlainHttpRegistry, writeCniConfig, writeContainerdConfig, writeKubeletConfig } from './config.js';
import { run } from './exec.js';
import { checkHost, createBridge, readIpForward, removeCgroups, removeIptablesRules, removeNetworkDevices, restoreIpForward, unmountAll } from './host.js';
import { cacheRoot, FIXED_HOST_PATHS, statePaths, VERSIONS, type StatePaths } from './layout.js';
import { importPauseImage } from './pause-image.js';
import { createPki } from './pki.js';
import { isDaemonRunning, startDaemon, stopDaemons, stopProcessesNamed, tailLog } from './processes.js';
import { readRecord, writeRecord, type ClusterRecord } from './record.js';
import { createReporter, formatDuration, type Reporter } from './report.js';
import { waitFor } from './wait.js';

/**
 * Time limits per readiness wait. They hold a start on a loaded two-core
 * machine with room to spare; CLUSTER_READY_TIMEOUT_MS overrides them all.
 */
const READY_TIMEOUT_MS = {
  daemon: 60_000,
  node: 120_000,
  serviceAccount: 60_000,
  smokePod: 120_000,
};

function readyTimeoutMs(step: keyof typeof READY_TIMEOUT_MS): number {
  return Number(process.env.CLUSTER_READY_TIMEOUT_MS) || READY_TIMEOUT_MS[step];
}

export interface StartResult {
  kubeconfig: string;
  record: ClusterRecord;
}

/**
 * Builds what is missing, then starts the cluster and waits until the node
 * is Ready and a smoke pod runs. Leftovers of an earlier start, crashed or
 * not, are torn down first. On failure the cluster is torn down again
 * unless `keepOnFailure` is set, and the error names the failed step.
 */
export async function startCluster(options: { reporter?: Reporter; keepOnFailure?: boolean } = {}): Promise<StartResult> {
  const reporter = options.reporter ?? createReporter();
  const paths = statePaths();
  const startedMs = Date.now();

  if (existsSync(paths.root)) {
    await reporter.step('tear down the previous cluster', () => stopCluster({ reporter: silentReporter(reporter) }));
  }

  const missing = await listMissingComponents();
  await reporter.step('check the host', () => checkHost({ needsGo: missing.length > 0 }));
  const binaries = await reporter.step('build or reuse binaries', () => ensureBinaries(reporter));

  const record: ClusterRecord = {
    versions: { ...VERSIONS },
    binaries,
    preexistingHostPaths: FIXED_HOST_PATHS.filter((hostPath) => existsSync(hostPath)),
    ipForwardBefore: await readIpForward(),
    startedAt: new Date().toISOString(),
    kubeconfig: paths.adminKubeconfig,
    timings: reporter.timings,
  };
  await writeRecord(paths, record);

  try {
    await bringUp(paths, binaries, reporter);
  } catch (error) {
    await writeRecord(paths, record);
    if (!options.keepOnFailure) {
      reporter.info(`start failed; tearing down (set CLUSTER_KEEP_ON_FAILURE=1 to keep it for inspection; logs are in ${paths.logs})`);
      await stopCluster({ reporter: silentReporter(reporter), keepLogs: true });
    }
    throw error;
  }

  record.readyAt = new Date().toISOString();
  await writeRecord(paths, record);
  reporter.info(`cluster ready in ${formatDuration(Date.now() - startedMs)}; kubeconfig: ${paths.adminKubeconfig}`);
  return { kubeconfig: paths.adminKubeconfig, record };
}

async function bringUp(paths: StatePaths, binaries: Binaries, reporter: Reporter): Promise<void> {
  await reporter.step('create certificates and kubeconfigs', () => createPki(paths));

  await reporter.step('start etcd', () => startAndWait(paths, components.etcd(paths, binaries)));
  await reporter.step('start kube-apiserver', () => startAndWait(paths, components.apiserver(paths, binaries)));

  await reporter.step('start containerd', async () => {
    await writeContainerdConfig(paths, binaries);
    await writeCniConfig(paths);
    await startAndWait(paths, components.containerd(paths, binaries), () => containerdAnswers(paths, binaries));
  });
  await reporter.step('import the pause image', () => importPauseImage(paths, binaries));

  await reporter.step('start kube-controller-manager', () => startAndWait(paths, components.controllerManager(paths, binaries)));
  await reporter.step('start kube-scheduler', () => startAndWait(paths, components.scheduler(paths, binaries)));
  await reporter.step('start kubelet', async () => {
    await createBridge();
    await mkdir(paths.kubeletRoot, { recursive: true });
    await writeKubeletConfig(paths);
    await startAndWait(paths, components.kubelet(paths, binaries));
  });

  const core = coreApi(paths.adminKubeconfig);
  await reporter.step('wait for the node to be Ready', () => withLogTail(paths, 'kubelet', () => waitForNodeReady(core, readyTimeoutMs('node'))));
  await reporter.step('wait for the default service account', () => waitForDefaultServiceAccount(core, readyTimeoutMs('serviceAccount')));
  await reporter.step('run a smoke pod on the pod network', async () => {
    const podIp = await withLogTail(paths, 'kubelet', () => runSmokePod(core, readyTimeoutMs('smokePod')));
    reporter.detail(`smoke pod address: ${podIp}`);
  });
}

/** Starts a component and waits for its ready probe, or for `isReady` when given. */
async function startAndWait(paths: StatePaths, component: components.Component, isReady?: () => Promise<boolean>): Promise<void> {
  await startDaemon(paths, component.name, component.executable, component.args, component.env);
  let last = 'no answer yet';
  const check =
    isReady ??
    (async () => {
      const result = await components.probeComponent(paths, component);
      last = result.detail;
      return result.ok;
    });

  await withLogTail(paths, component.name, () =>
    waitFor(
      async () => {
        if (!(await isDaemonRunning(paths, component.name))) throw new Error(`${component.name} exited right after its start`);
        return check();
      },
      { condition: `${component.name} to become ready (${component.readyUrl || 'its API socket'})`, timeoutMs: readyTimeoutMs('daemon'), describeLast: () => last },
    ),
  );
}

/** Adds the end of a component's log to an error from `work`. */
async function withLogTail<T>(paths: StatePaths, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const tail = await tailLog(paths, name);
    throw new Error(`${(error as Error).message}${tail ? `\nlast lines of ${path.join(paths.logs, `${name}.log`)}:\n${tail}` : ''}`);
  }
}

async function containerdAnswers(paths: StatePaths, binaries: Binaries): Promise<boolean> {
  const result = await run(binaries.ctr, ['--address', paths.containerdSocket, 'version'], { allowFailure: true });
  return result.exitCode === 0;
}

/**
 * Removes everything the cluster created: containers, processes, mounts,
 * network devices, iptables rules, cgroups, host folders and the state
 * folder. It works from whatever a start left behind, so it also cleans up
 * after a failed start or a crash. `keepLogs` leaves the logs folder.
 */
export async function stopCluster(options: { reporter?: Reporter; keepLogs?: boolean } = {}): Promise<void> {
  const reporter = options.reporter ?? createReporter();
  const paths = statePaths();
  if (!existsSync(paths.root)) {
    reporter.info(`no cluster state at ${paths.root}; nothing to tear down`);
    return;
  }
  const record = await readRecord(paths).catch(() => undefined);

  const reportStops = (stopped: Map<string, number>) => {
    for (const [name, durationMs] of stopped) reporter.detail(`${name} stopped in ${formatDuration(durationMs)}`);
  };

  await reporter.step('stop kubelet', async () => reportStops(await stopDaemons(paths, ['kubelet'], { onlyFirst: true })));
  await reporter.step('delete containers', () => deleteContainers(paths, record?.binaries));
  // Shims detach from containerd, so they are found by their executable.
  // Any shim built by this helper belongs to this cluster, because the
  // fixed ports allow only one cluster on a host.
  await reporter.step('stop containerd shims', async () => {
    const count = await stopProcessesNamed(path.join(cacheRoot(), 'bin'), 'containerd-shim-runc-v2');
    reporter.detail(`${count} shims stopped`);
  });
  await reporter.step('stop daemons', async () => reportStops(await stopDaemons(paths, components.STOP_ORDER)));
  await reporter.step('unmount', async () => {
    await unmountAll(paths.root);
    for (const hostPath of FIXED_HOST_PATHS) await unmountAll(hostPath);
  });
  await reporter.step('remove network devices', () => removeNetworkDevices());
  await reporter.step('remove iptables rules', () => removeIptablesRules());
  await reporter.step('remove cgroups', () => removeCgroups());
  await reporter.step('remove files', async () => {
    if (record) await restoreIpForward(record.ipForwardBefore);
    await removeHostPaths(paths, record);
    await removeStateDir(paths, options.keepLogs ?? false);
  });
}

async function deleteContainers(paths: StatePaths, binaries: Binaries | undefined): Promise<void> {
  const runc = binaries?.runc ?? (await findCachedRunc());
  if (!runc || !existsSync(paths.runcRoot)) return;
  // runc keeps one root per containerd namespace, such as k8s.io.
  for (const namespace of await readdir(paths.runcRoot)) {
    const root = path.join(paths.runcRoot, namespace);
    const listing = await run(runc, ['--root', root, 'list', '--quiet'], { allowFailure: true });
    for (const id of listing.stdout.split('\n').filter(Boolean)) {
      await run(runc, ['--root', root, 'delete', '--force', id], { allowFailure: true });
    }
  }
}

/** Finds a cached runc when the cluster record is missing, as after a crash during its first write. */
async function findCachedRunc(): Promise<string | undefined> {
  const binDir = path.join(cacheRoot(), 'bin');
  const dirs = existsSync(binDir) ? await readdir(binDir) : [];
  const dir = dirs.find((name) => name.startsWith('runc-') && !name.endsWith('.partial'));
  return dir ? path.join(binDir, dir, 'runc') : undefined;
}

/** Removes the fixed host paths that did not exist before `up`, and container log links into the state folder. */
async function removeHostPaths(paths: StatePaths, record: ClusterRecord | undefined): Promise<void> {
  const preexisting = record?.preexistingHostPaths ?? [...FIXED_HOST_PATHS];
  for (const hostPath of FIXED_HOST_PATHS) {
    if (!preexisting.includes(hostPath)) {
      await rm(hostPath, { recursive: true, force: true });
      continue;
    }
    if (hostPath === '/var/log/containers' && existsSync(hostPath)) {
      for (const entry of await readdir(hostPath)) {
        const link = path.join(hostPath, entry);
        const isLink = (await lstat(link)).isSymbolicLink();
        if (isLink && (await readlink(link)).startsWith(`${paths.root}/`)) await rm(link, { force: true });
      }
    }
  }
}

async function removeStateDir(paths: StatePaths, keepLogs: boolean): Promise<void> {
  if (!keepLogs) {
    await rm(paths.root, { recursive: true, force: true });
    return;
  }
  for (const entry of await readdir(paths.root)) {
    if (path.join(paths.root, entry) !== paths.logs) await rm(path.join(paths.root, entry), { recursive: true, force: true });
  }
}

export interface ClusterStatus {
  stateDir: string;
  ready: boolean;
  daemons: Record<string, boolean>;
  record?: ClusterRecord;
}

/** Reports which daemons run and whether the last start finished. */
export async function readClusterStatus(): Promise<ClusterStatus> {
  const paths = statePaths();
  const record = await readRecord(paths).catch(() => undefined);
  const daemons: Record<string, boolean> = {};
  for (const name of [...components.STOP_ORDER].reverse()) daemons[name] = await isDaemonRunning(paths, name);
  const ready = record?.readyAt !== undefined && Object.values(daemons).every(Boolean);
  return { stateDir: paths.root, ready, daemons, ...(record ? { record } : {}) };
}

/** Returns the admin kubeconfig of a running cluster, or undefined when none is up. */
export async function readyClusterKubeconfig(): Promise<string | undefined> {
  if (process.env.CLUSTER_KUBECONFIG) return process.env.CLUSTER_KUBECONFIG;
  const status = await readClusterStatus();
  return status.ready ? status.record?.kubeconfig : undefined;
}

function silentReporter(parent: Reporter): Reporter {
  return { ...parent, info: parent.detail, step: (_name, work) => work() };
}

/**
 * Lets the cluster's containerd pull from a registry on loopback over plain
 * HTTP, e.g. the one that startRegistry runs. It takes effect on the next
 * pull. Without a local cluster it does nothing, because another cluster's
 * containerd reads its own registry config.
 */
export async function trustLocalRegistry(registry: string): Promise<void> {
  const paths = statePaths();
  if (!existsSync(paths.root)) return;
  await allowPlainHttpRegistry(paths, registry);
}
