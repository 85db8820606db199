// Versions, folders, ports and addresses of the local single-node cluster.
// Everything that `up` creates lives under one state folder, so that
// `down` can find it after a failed start or a crash.

import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Pinned component versions. Each must match the version that the Go
 * module under cluster/go/<component> requires, because the binaries are
 * built from those modules and cached by this version.
 *
 * Kubernetes 1.37 is the newest minor whose kubelet still starts on a
 * cgroup v1 host: since 1.35 it refuses to unless the kubelet config sets
 * `failCgroupV1: false`, and 1.37 keeps that setting (KEP-5573 deprecates
 * cgroup v1 without removing it yet). ImageVolume is GA and locked on
 * since 1.36, so no feature gate is set.
 */
export const VERSIONS = {
  kubernetes: 'v1.37.2',
  containerd: 'v2.4.2',
  runc: 'v1.5.3',
  etcd: 'v3.7.3',
  cni: 'v1.9.1',
} as const;

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GO_MODULES_DIR = path.join(PROJECT_ROOT, 'cluster', 'go');

/** Cache folder for built binaries; XDG_CACHE_HOME or ~/.cache, as other tools use. */
export function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'perses-oci-conformance', 'cluster');
}

/**
 * The one folder that contains all cluster state: certificates, etcd data,
 * containerd and kubelet roots, logs and process ids. CLUSTER_STATE_DIR
 * overrides it. It sits on a real disk, not tmpfs, because overlayfs
 * snapshots and image layers are written there.
 */
export function stateDir(): string {
  return process.env.CLUSTER_STATE_DIR || '/var/lib/perses-oci-conformance-cluster';
}

/** Paths inside the state folder. */
export function statePaths(root = stateDir()) {
  return {
    root,
    record: path.join(root, 'cluster.json'),
    pki: path.join(root, 'pki'),
    logs: path.join(root, 'logs'),
    pids: path.join(root, 'pids'),
    etcdData: path.join(root, 'etcd'),
    containerdRoot: path.join(root, 'containerd', 'root'),
    containerdState: path.join(root, 'containerd', 'state'),
    containerdConfig: path.join(root, 'containerd', 'config.toml'),
    containerdSocket: path.join(root, 'containerd', 'containerd.sock'),
    registryHostsDir: path.join(root, 'containerd', 'certs.d'),
    runcRoot: path.join(root, 'runc'),
    cniConfDir: path.join(root, 'cni', 'net.d'),
    cniDataDir: path.join(root, 'cni', 'networks'),
    kubeletRoot: path.join(root, 'kubelet'),
    kubeletConfig: path.join(root, 'kubelet-config.yaml'),
    podLogs: path.join(root, 'pod-logs'),
    volumePlugins: path.join(root, 'volume-plugins'),
    kubeconfigs: path.join(root, 'kubeconfig'),
    adminKubeconfig: path.join(root, 'kubeconfig', 'admin.yaml'),
    images: path.join(root, 'images'),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;

/**
 * Host paths outside the state folder that the components write to, because
 * their location is fixed in their code: containerd puts shim sockets under
 * /run/containerd, and the kubelet links container logs from
 * /var/log/containers and keeps device plugin sockets under /var/lib/kubelet.
 * `up` records which of them already existed, and `down` removes only the
 * ones it created.
 */
export const FIXED_HOST_PATHS = ['/run/containerd', '/var/log/containers', '/var/lib/kubelet', '/var/lib/cni'] as const;

export const NODE_NAME = 'conformance-node';
export const HOST_IP = '127.0.0.1';

export const PORTS = {
  apiserver: 6443,
  etcdClient: 2379,
  etcdPeer: 2380,
  kubelet: 10250,
  kubeletHealthz: 10248,
  controllerManager: 10257,
  scheduler: 10259,
} as const;

/**
 * Pod and service ranges. The pod range is the bridge's subnet, so the only
 * non-loopback addresses the cluster uses are on its own bridge. The
 * bridge's gateway address is also the node address, because the kubelet
 * rejects a loopback node IP and reports no node address at all then,
 * which breaks exec and logs.
 */
export const NETWORK = {
  bridge: 'cni0',
  cniNetworkName: 'conformance-pods',
  podSubnet: '10.244.0.0/24',
  podGateway: '10.244.0.1',
  serviceSubnet: '10.96.0.0/24',
  kubernetesServiceIp: '10.96.0.1',
} as const;

/** Name under which the locally built sandbox image is imported into containerd. */
export const PAUSE_IMAGE = 'localhost/perses-oci-conformance/pause:1';

/** The node's InternalIP, where the API server reaches the kubelet: the pod bridge's gateway. */
export const NODE_IP = NETWORK.podGateway;
