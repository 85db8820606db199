// Checks the cluster helper's generated configs and small parsers without
// starting anything, so that they run on every machine, root or not.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import type { Binaries } from '../../helpers/cluster/build.js';
import { allowPlainHttpRegistry, writeCniConfig, writeContainerdConfig, writeKubeletConfig } from '../../helpers/cluster/config.js';
import { splitRule } from '../../helpers/cluster/host.js';
import { NETWORK, NODE_IP, PAUSE_IMAGE, statePaths, type StatePaths } from '../../helpers/cluster/layout.js';
import { formatDuration } from '../../helpers/cluster/report.js';
import { waitFor } from '../../helpers/cluster/wait.js';

let root: string;
let paths: StatePaths;

const binaries: Binaries = {
  kube: '/cache/kube/kube',
  etcd: '/cache/etcd/etcd',
  containerd: '/cache/containerd/containerd',
  ctr: '/cache/containerd/ctr',
  runc: '/cache/runc/runc',
  cniDir: '/cache/cni',
  pause: '/cache/pause/pause',
};

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cluster-config-'));
  paths = statePaths(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('cluster configs', () => {
  it('containerd: sandbox image, registry hosts and runc', async () => {
    await writeContainerdConfig(paths, binaries);

    const toml = await readFile(paths.containerdConfig, 'utf8');

    expect(toml).toContain('version = 3');
    expect(toml).toContain(`sandbox = '${PAUSE_IMAGE}'`);
    expect(toml).toContain(`config_path = '${paths.registryHostsDir}'`);
    expect(toml).toContain(`BinaryName = '${binaries.runc}'`);
    expect(toml).toContain(`Root = '${paths.runcRoot}'`);
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('netns_mounts_under_state_dir = true');
  });

  it('containerd: rejects a state folder with a quote', async () => {
    const quoted = statePaths(path.join(root, "it's"));

    await expect(writeContainerdConfig(quoted, binaries)).rejects.toThrow(/single quote/);
  });

  it('kubelet: cgroup v1 allowed, node IP on the bridge', async () => {
    await writeKubeletConfig(paths);

    const config = parse(await readFile(paths.kubeletConfig, 'utf8')) as Record<string, unknown>;

    expect(config.failCgroupV1).toBe(false);
    expect(config.cgroupDriver).toBe('cgroupfs');
    expect(config.address).toBe(NODE_IP);
    expect(config.containerRuntimeEndpoint).toBe(`unix://${paths.containerdSocket}`);
    expect(config.podLogsDirectory).toBe(paths.podLogs);
  });

  it('CNI: bridge with host-local, portmap and loopback', async () => {
    await writeCniConfig(paths);

    const conflist = JSON.parse(await readFile(path.join(paths.cniConfDir, '10-conformance-pods.conflist'), 'utf8'));
    const loopback = JSON.parse(await readFile(path.join(paths.cniConfDir, '99-loopback.conf'), 'utf8'));

    expect(conflist.plugins.map((plugin: { type: string }) => plugin.type)).toEqual(['bridge', 'portmap']);
    expect(conflist.plugins[0].bridge).toBe(NETWORK.bridge);
    expect(conflist.plugins[0].ipam.type).toBe('host-local');
    expect(conflist.plugins[0].ipam.ranges[0][0]).toEqual({ subnet: NETWORK.podSubnet, gateway: NODE_IP });
    expect(loopback.type).toBe('loopback');
  });

  it('registry hosts: plain HTTP for a loopback registry', async () => {
    await allowPlainHttpRegistry(paths, '127.0.0.1:5123');

    const hosts = await readFile(path.join(paths.registryHostsDir, '127.0.0.1:5123', 'hosts.toml'), 'utf8');

    expect(hosts).toContain("server = 'http://127.0.0.1:5123'");
    expect(hosts).toContain("[host.'http://127.0.0.1:5123']");
  });
});

describe('cluster helper parsing', () => {
  it('splitRule: keeps a quoted comment whole', () => {
    const rule = 'POSTROUTING -s 10.244.0.2/32 -m comment --comment "name: \\"conformance-pods\\" id: \\"abc\\"" -j CNI-1a2b';

    expect(splitRule(rule)).toEqual([
      'POSTROUTING', '-s', '10.244.0.2/32', '-m', 'comment', '--comment', 'name: "conformance-pods" id: "abc"', '-j', 'CNI-1a2b',
    ]);
  });

  it('formatDuration: milliseconds, seconds, minutes', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(14_900)).toBe('14.9s');
    expect(formatDuration(1_042_000)).toBe('17m22s');
  });

  it('waitFor: timeout names the condition and last state', async () => {
    const wait = waitFor(async () => false, { condition: 'the node to be Ready', timeoutMs: 30, intervalMs: 10, describeLast: () => 'Ready=False' });

    await expect(wait).rejects.toThrow('timed out after 0.03s waiting for the node to be Ready; last seen: Ready=False');
  });

  it('waitFor: an error from the check ends the wait', async () => {
    let calls = 0;
    const wait = waitFor(
      async () => {
        calls += 1;
        throw new Error('pod is stuck in ErrImagePull');
      },
      { condition: 'a pod', timeoutMs: 5000, intervalMs: 10 },
    );

    await expect(wait).rejects.toThrow('pod is stuck in ErrImagePull');
    expect(calls).toBe(1);
  });
});
