// Writes the configuration files of containerd, the CNI network and the
// kubelet into the state folder.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { stringify } from 'yaml';

import type { Binaries } from './build.js';
import { HOST_IP, NETWORK, NODE_IP, PAUSE_IMAGE, PORTS, type StatePaths } from './layout.js';

/**
 * Writes containerd's version 3 config. The shim's runc state, network
 * namespaces and registry host files all go under the state folder, and
 * the sandbox image is the locally imported pause image.
 */
export async function writeContainerdConfig(paths: StatePaths, binaries: Binaries): Promise<void> {
  const toml = `version = 3
root = ${quote(paths.containerdRoot)}
state = ${quote(paths.containerdState)}

[grpc]
  address = ${quote(paths.containerdSocket)}

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'

  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = ${quote(PAUSE_IMAGE)}

  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = ${quote(paths.registryHostsDir)}

[plugins.'io.containerd.cri.v1.runtime']
  netns_mounts_under_state_dir = true
  # Without CAP_SYS_RESOURCE, as in some VMs, runc cannot lower a
  # container's oom_score_adj below containerd's own, and the kubelet asks
  # for -998 on every pod sandbox. This clamps the value instead.
  restrict_oom_score_adj = true

  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = [${quote(binaries.cniDir)}]
    conf_dir = ${quote(paths.cniConfDir)}

  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'

    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = ${quote(binaries.runc)}
        Root = ${quote(paths.runcRoot)}
        SystemdCgroup = false
`;
  await mkdir(path.dirname(paths.containerdConfig), { recursive: true });
  await mkdir(paths.registryHostsDir, { recursive: true });
  await writeFile(paths.containerdConfig, toml);
}

/**
 * Lets containerd pull from `registry` (host:port on loopback) over plain
 * HTTP. containerd reads these files on every pull, so no restart is needed.
 */
export async function allowPlainHttpRegistry(paths: StatePaths, registry: string): Promise<void> {
  const dir = path.join(paths.registryHostsDir, registry);
  await mkdir(dir, { recursive: true });
  const url = `http://${registry}`;
  await writeFile(path.join(dir, 'hosts.toml'), `server = ${quote(url)}\n\n[host.${quote(url)}]\n  capabilities = ['pull', 'resolve']\n`);
}

/**
 * Writes the pod network: a bridge with host-local addresses from the pod
 * subnet, loopback inside each pod, and portmap for hostPort. Outbound
 * masquerading stays off because pods here reach nothing off the node.
 */
export async function writeCniConfig(paths: StatePaths): Promise<void> {
  const conflist = {
    cniVersion: '1.0.0',
    name: NETWORK.cniNetworkName,
    plugins: [
      {
        type: 'bridge',
        bridge: NETWORK.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: paths.cniDataDir,
          ranges: [[{ subnet: NETWORK.podSubnet, gateway: NETWORK.podGateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  const loopback = { cniVersion: '1.0.0', name: 'loopback', type: 'loopback' };

  await mkdir(paths.cniConfDir, { recursive: true });
  await writeFile(path.join(paths.cniConfDir, '10-conformance-pods.conflist'), JSON.stringify(conflist, null, 2));
  await writeFile(path.join(paths.cniConfDir, '99-loopback.conf'), JSON.stringify(loopback, null, 2));
}

/**
 * Writes the kubelet config. `failCgroupV1: false` lets Kubernetes 1.35 and
 * later start on a cgroup v1 host. The eviction thresholds are low so that
 * a busy build disk does not taint the only node.
 */
export async function writeKubeletConfig(paths: StatePaths): Promise<void> {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    port: PORTS.kubelet,
    healthzBindAddress: HOST_IP,
    healthzPort: PORTS.kubeletHealthz,
    readOnlyPort: 0,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: path.join(paths.pki, 'ca.crt') },
    },
    authorization: { mode: 'Webhook' },
    tlsCertFile: path.join(paths.pki, 'kubelet-serving.crt'),
    tlsPrivateKeyFile: path.join(paths.pki, 'kubelet-serving.key'),
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    failSwapOn: false,
    // The kubelet lowers its own score to -999 by default, which fails
    // without CAP_SYS_RESOURCE and only logs an error.
    oomScoreAdj: 0,
    podLogsDirectory: paths.podLogs,
    volumePluginDir: paths.volumePlugins,
    staticPodPath: '',
    registerNode: true,
    serializeImagePulls: false,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 99,
    imageGCLowThresholdPercent: 98,
  };
  await writeFile(paths.kubeletConfig, stringify(config));
}

/** Quotes a string as a TOML literal string; the paths written here contain no single quote. */
function quote(value: string): string {
  if (value.includes("'")) throw new Error(`path ${value} contains a single quote, which the containerd config cannot hold; choose another CLUSTER_STATE_DIR`);
  return `'${value}'`;
}
