// Command lines of the cluster's programs and the probes that tell when
// each is ready.

import path from 'node:path';

import type { Binaries } from './build.js';
import { HOST_IP, NETWORK, NODE_IP, NODE_NAME, PORTS, type StatePaths } from './layout.js';
import { kubeconfigPath } from './pki.js';
import { probe } from './probes.js';

export interface Component {
  name: string;
  executable: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** URL that returns a 2xx status once the component is ready. */
  readyUrl: string;
  /** Whether the ready URL's serving certificate is signed by the cluster CA. */
  verifyServer: boolean;
}

/** Order in which `down` stops the daemons: consumers before what they use. */
export const STOP_ORDER = ['kubelet', 'scheduler', 'controller-manager', 'containerd', 'apiserver', 'etcd'];

export function etcd(paths: StatePaths, binaries: Binaries): Component {
  const clientUrl = `http://${HOST_IP}:${PORTS.etcdClient}`;
  const peerUrl = `http://${HOST_IP}:${PORTS.etcdPeer}`;
  return {
    name: 'etcd',
    executable: binaries.etcd,
    args: [
      '--name=conformance',
      `--data-dir=${paths.etcdData}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=conformance=${peerUrl}`,
      // A throwaway test cluster trades durability for speed on a shared disk.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    readyUrl: `${clientUrl}/health`,
    verifyServer: true,
  };
}

export function apiserver(paths: StatePaths, binaries: Binaries): Component {
  const pki = (name: string) => path.join(paths.pki, name);
  return {
    name: 'apiserver',
    executable: binaries.kube,
    args: [
      'apiserver',
      `--bind-address=${HOST_IP}`,
      `--advertise-address=${HOST_IP}`,
      `--secure-port=${PORTS.apiserver}`,
      `--etcd-servers=http://${HOST_IP}:${PORTS.etcdClient}`,
      `--client-ca-file=${pki('ca.crt')}`,
      `--tls-cert-file=${pki('apiserver.crt')}`,
      `--tls-private-key-file=${pki('apiserver.key')}`,
      `--kubelet-client-certificate=${pki('apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${pki('apiserver-kubelet-client.key')}`,
      `--service-account-key-file=${pki('service-account.pub')}`,
      `--service-account-signing-key-file=${pki('service-account.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-cluster-ip-range=${NETWORK.serviceSubnet}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      // The endpoints of the "kubernetes" Service may not be a loopback
      // address, and nothing here needs that Service to route.
      '--endpoint-reconciler-type=none',
      // The node's hostname resolves nowhere, so the API server dials the
      // kubelet at the node IP on the pod bridge.
      '--kubelet-preferred-address-types=InternalIP',
      '--profiling=false',
    ],
    readyUrl: `https://${HOST_IP}:${PORTS.apiserver}/readyz`,
    verifyServer: true,
  };
}

export function containerd(paths: StatePaths, binaries: Binaries): Component {
  return {
    name: 'containerd',
    executable: binaries.containerd,
    args: ['--config', paths.containerdConfig],
    // containerd looks up containerd-shim-runc-v2 on PATH.
    env: { ...process.env, PATH: `${path.dirname(binaries.containerd)}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
    readyUrl: '',
    verifyServer: true,
  };
}

export function controllerManager(paths: StatePaths, binaries: Binaries): Component {
  const kubeconfig = kubeconfigPath(paths, 'controller-manager');
  return {
    name: 'controller-manager',
    executable: binaries.kube,
    args: [
      'controller-manager',
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--bind-address=${HOST_IP}`,
      `--secure-port=${PORTS.controllerManager}`,
      `--cert-dir=${path.join(paths.root, 'serving-certs', 'controller-manager')}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${path.join(paths.pki, 'service-account.key')}`,
      `--root-ca-file=${path.join(paths.pki, 'ca.crt')}`,
      `--cluster-signing-cert-file=${path.join(paths.pki, 'ca.crt')}`,
      `--cluster-signing-key-file=${path.join(paths.pki, 'ca.key')}`,
      `--service-cluster-ip-range=${NETWORK.serviceSubnet}`,
      '--profiling=false',
    ],
    readyUrl: `https://${HOST_IP}:${PORTS.controllerManager}/healthz`,
    verifyServer: false,
  };
}

export function scheduler(paths: StatePaths, binaries: Binaries): Component {
  const kubeconfig = kubeconfigPath(paths, 'scheduler');
  return {
    name: 'scheduler',
    executable: binaries.kube,
    args: [
      'scheduler',
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--bind-address=${HOST_IP}`,
      `--secure-port=${PORTS.scheduler}`,
      `--cert-dir=${path.join(paths.root, 'serving-certs', 'scheduler')}`,
      '--leader-elect=false',
      '--profiling=false',
    ],
    readyUrl: `https://${HOST_IP}:${PORTS.scheduler}/healthz`,
    verifyServer: false,
  };
}

export function kubelet(paths: StatePaths, binaries: Binaries): Component {
  return {
    name: 'kubelet',
    executable: binaries.kube,
    args: [
      'kubelet',
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${kubeconfigPath(paths, 'kubelet')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      `--root-dir=${paths.kubeletRoot}`,
    ],
    readyUrl: `http://${HOST_IP}:${PORTS.kubeletHealthz}/healthz`,
    verifyServer: true,
  };
}

export function probeComponent(paths: StatePaths, component: Component) {
  return probe(component.readyUrl, { paths, verifyServer: component.verifyServer });
}
