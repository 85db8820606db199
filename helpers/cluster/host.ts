// Checks that this host can run the cluster, and undoes every change the
// cluster made to it: mounts, network devices, iptables rules, cgroups and
// host folders.

import { existsSync } from 'node:fs';
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

import { isOnPath, run } from './exec.js';
import { HOST_IP, NETWORK, NODE_IP, PORTS } from './layout.js';

const REQUIRED_COMMANDS = ['openssl', 'iptables', 'ip', 'mount', 'umount', 'tar'];
/** Debian packages of the commands whose package has another name. */
const DEBIAN_PACKAGES: Record<string, string> = { ip: 'iproute2', umount: 'mount' };
const REQUIRED_CGROUP_V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'pids'];

/**
 * Collects every unmet host requirement and throws them together, each with
 * what is needed and what was found. `needsGo` is false when all binaries
 * are cached already, so that neither Go nor the C headers are required.
 */
export async function checkHost(options: { needsGo: boolean }): Promise<void> {
  const problems: string[] = [];

  if (process.platform !== 'linux') problems.push(`the cluster needs Linux; found ${process.platform}`);
  if (process.getuid?.() !== 0) problems.push(`the cluster needs root to mount, create network devices and set iptables rules; found uid ${process.getuid?.()}`);

  // gcc builds runc's nsenter C code.
  const commands = options.needsGo ? [...REQUIRED_COMMANDS, 'go', 'gcc'] : REQUIRED_COMMANDS;
  for (const command of commands) {
    if (!(await isOnPath(command))) {
      const install = command === 'go' ? 'install Go 1.26 or later' : `apt-get install ${DEBIAN_PACKAGES[command] ?? command}`;
      problems.push(`command ${command} is needed but not found on PATH; ${install}`);
    }
  }

  const seccompFound = options.needsGo && (await isOnPath('pkg-config')) && (await run('pkg-config', ['--exists', 'libseccomp'], { allowFailure: true })).exitCode === 0;
  if (options.needsGo && !seccompFound) {
    problems.push('building runc with seccomp support needs the libseccomp headers; pkg-config finds no libseccomp (apt-get install libseccomp-dev pkg-config)');
  }

  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  if (!/\boverlay\b/.test(filesystems)) problems.push('containerd\'s overlayfs snapshotter needs the overlay filesystem; /proc/filesystems does not list it (try modprobe overlay)');

  problems.push(...(await checkCgroups()));
  problems.push(...(await checkPortsFree()));
  problems.push(...(await checkPodSubnetFree()));

  if (problems.length > 0) {
    throw new Error(`this host cannot run the cluster:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Returns "v2" for a unified cgroup hierarchy and "v1" for the legacy one. */
export function cgroupVersion(): 'v1' | 'v2' {
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1';
}

async function checkCgroups(): Promise<string[]> {
  if (cgroupVersion() === 'v2') return [];
  const mounted = existsSync('/sys/fs/cgroup') ? await readdir('/sys/fs/cgroup') : [];
  const missing = REQUIRED_CGROUP_V1_CONTROLLERS.filter((controller) => !mounted.includes(controller));
  if (missing.length === 0) return [];
  return [`the kubelet and runc need the cgroup v1 controllers ${REQUIRED_CGROUP_V1_CONTROLLERS.join(', ')} under /sys/fs/cgroup; missing: ${missing.join(', ')}`];
}

async function checkPortsFree(): Promise<string[]> {
  const problems: string[] = [];
  for (const [component, port] of Object.entries(PORTS)) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, HOST_IP, () => server.close(() => resolve(true)));
    });
    if (!free) problems.push(`port ${HOST_IP}:${port} for ${component} is already in use; stop what listens there (ss -ltnp 'sport = :${port}')`);
  }
  return problems;
}

async function checkPodSubnetFree(): Promise<string[]> {
  const prefix = NETWORK.podSubnet.split('.').slice(0, 3).join('.');
  const addresses = await run('ip', ['-o', '-4', 'addr', 'show'], { allowFailure: true });
  const clash = addresses.stdout.split('\n').find((line) => line.includes(` ${prefix}.`) && !line.includes(` ${NETWORK.bridge} `));
  if (!clash) return [];
  return [`the pod subnet ${NETWORK.podSubnet} is already used on this host (${clash.trim().replace(/\s+/g, ' ')}); the cluster cannot share it`];
}

/**
 * Creates the pod bridge with the node IP before the kubelet starts, because
 * the kubelet requires its node IP on a local interface. The CNI bridge
 * plugin later reuses this bridge.
 */
export async function createBridge(): Promise<void> {
  const exists = (await run('ip', ['link', 'show', NETWORK.bridge], { allowFailure: true })).exitCode === 0;
  if (!exists) await run('ip', ['link', 'add', NETWORK.bridge, 'type', 'bridge']);
  const prefixLength = NETWORK.podSubnet.split('/')[1];
  const addresses = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', NETWORK.bridge]);
  if (!addresses.stdout.includes(` ${NODE_IP}/`)) await run('ip', ['addr', 'add', `${NODE_IP}/${prefixLength}`, 'dev', NETWORK.bridge]);
  await run('ip', ['link', 'set', NETWORK.bridge, 'up']);
}

/** Returns the mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    // mountinfo escapes spaces and other bytes in octal, as \040.
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `dir`, lazily where a plain unmount fails. */
export async function unmountAll(dir: string): Promise<number> {
  const points = await mountsUnder(dir);
  for (const point of points) {
    const result = await run('umount', [point], { allowFailure: true });
    if (result.exitCode !== 0) await run('umount', ['--lazy', point], { allowFailure: true });
  }
  return points.length;
}

/** Deletes the pod bridge and any veth still attached to it. */
export async function removeNetworkDevices(): Promise<string[]> {
  const removed: string[] = [];
  const links = await run('ip', ['-o', 'link', 'show', 'master', NETWORK.bridge], { allowFailure: true });
  for (const line of links.stdout.split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name && (await run('ip', ['link', 'delete', name], { allowFailure: true })).exitCode === 0) removed.push(name);
  }
  if ((await run('ip', ['link', 'delete', NETWORK.bridge], { allowFailure: true })).exitCode === 0) removed.push(NETWORK.bridge);
  return removed;
}

// Chains that the CNI plugins (CNI-*) and the kubelet (KUBE-*) create.
const CLUSTER_CHAIN = /^(CNI|KUBE)-/;
const IPTABLES_TABLES = ['nat', 'filter', 'mangle'];

/**
 * Deletes the iptables rules that jump to a CNI-* or KUBE-* chain or that
 * carry the pod network's name, then those chains, in IPv4 and IPv6.
 * Rules and chains of anything else stay untouched.
 */
export async function removeIptablesRules(): Promise<number> {
  let removed = 0;
  for (const command of ['iptables', 'ip6tables']) {
    if (!(await isOnPath(command))) continue;
    for (const table of IPTABLES_TABLES) {
      const listing = await run(command, ['-w', '-t', table, '-S'], { allowFailure: true });
      if (listing.exitCode !== 0) continue;
      const lines = listing.stdout.split('\n');

      for (const line of lines) {
        if (!line.startsWith('-A ')) continue;
        const chain = line.split(' ')[1] ?? '';
        const jumpsToCluster = / -j (CNI|KUBE)-/.test(line);
        const namesNetwork = line.includes(NETWORK.cniNetworkName);
        if (CLUSTER_CHAIN.test(chain) || !(jumpsToCluster || namesNetwork)) continue;
        const args = splitRule(line.slice(3));
        if ((await run(command, ['-w', '-t', table, '-D', ...args], { allowFailure: true })).exitCode === 0) removed += 1;
      }

      const chains = lines.filter((line) => line.startsWith('-N ')).map((line) => line.slice(3).trim()).filter((chain) => CLUSTER_CHAIN.test(chain));
      for (const chain of chains) await run(command, ['-w', '-t', table, '-F', chain], { allowFailure: true });
      for (const chain of chains) {
        if ((await run(command, ['-w', '-t', table, '-X', chain], { allowFailure: true })).exitCode === 0) removed += 1;
      }
    }
  }
  return removed;
}

/** Splits an `iptables -S` rule into arguments, keeping quoted comments whole. */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  for (const match of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    args.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] as string));
  }
  return args;
}

/**
 * Removes the kubelet's kubepods cgroups in every cgroup v1 hierarchy (or
 * the unified one), deepest first. A container process that outlived its
 * shim is killed first, because a cgroup with a process cannot be removed.
 */
export async function removeCgroups(): Promise<number> {
  const roots = cgroupVersion() === 'v2' ? ['/sys/fs/cgroup'] : (await readdir('/sys/fs/cgroup')).map((name) => path.join('/sys/fs/cgroup', name));
  let removed = 0;
  for (const root of roots) {
    for (const top of ['kubepods', 'kubepods.slice']) {
      const dir = path.join(root, top);
      if (existsSync(dir)) removed += await removeCgroupTree(dir);
    }
  }
  return removed;
}

async function removeCgroupTree(dir: string): Promise<number> {
  let removed = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) removed += await removeCgroupTree(path.join(dir, entry.name));
  }

  const pids = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // The process exited between the read and the kill.
    }
  }
  if (pids.length > 0) await new Promise((resolve) => setTimeout(resolve, CGROUP_EMPTY_DELAY_MS));

  await rmdir(dir).then(() => (removed += 1)).catch(() => undefined);
  return removed;
}

// A killed process leaves its cgroup within milliseconds; this leaves room.
const CGROUP_EMPTY_DELAY_MS = 200;

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Reads net.ipv4.ip_forward, which the bridge plugin turns on for its gateway. */
export async function readIpForward(): Promise<string> {
  return (await readFile(IP_FORWARD, 'utf8')).trim();
}

export async function restoreIpForward(value: string): Promise<void> {
  if ((await readIpForward()) !== value) await writeFile(IP_FORWARD, `${value}\n`);
}
