// Creates the cluster's certificate authority, serving and client
// certificates, the service-account signing key and the kubeconfig files,
// with Debian's openssl. Keys are ECDSA P-256 because they are fast to
// generate and every component accepts them.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { stringify } from 'yaml';

import { run } from './exec.js';
import { HOST_IP, NETWORK, NODE_IP, NODE_NAME, PORTS, type StatePaths } from './layout.js';

const VALIDITY_DAYS = '30';

interface CertificateRequest {
  name: string;
  commonName: string;
  organization?: string;
  usage: 'server' | 'client';
  altNames?: string[];
}

const CERTIFICATES: CertificateRequest[] = [
  {
    name: 'apiserver',
    commonName: 'kube-apiserver',
    usage: 'server',
    altNames: [
      `IP:${HOST_IP}`,
      `IP:${NETWORK.kubernetesServiceIp}`,
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
    ],
  },
  { name: 'kubelet-serving', commonName: NODE_NAME, usage: 'server', altNames: [`IP:${NODE_IP}`, `IP:${HOST_IP}`, `DNS:${NODE_NAME}`] },
  { name: 'admin', commonName: 'conformance-admin', organization: 'system:masters', usage: 'client' },
  { name: 'apiserver-kubelet-client', commonName: 'kube-apiserver-kubelet-client', organization: 'system:masters', usage: 'client' },
  { name: 'controller-manager', commonName: 'system:kube-controller-manager', usage: 'client' },
  { name: 'scheduler', commonName: 'system:kube-scheduler', usage: 'client' },
  { name: 'kubelet', commonName: `system:node:${NODE_NAME}`, organization: 'system:nodes', usage: 'client' },
];

/** The kubeconfig users; each authenticates with the client certificate of the same name. */
export const KUBECONFIG_USERS = ['admin', 'controller-manager', 'scheduler', 'kubelet'] as const;
export type KubeconfigUser = (typeof KUBECONFIG_USERS)[number];

/** Writes a fresh certificate authority, all certificates and kubeconfigs. */
export async function createPki(paths: StatePaths): Promise<void> {
  await mkdir(paths.pki, { recursive: true, mode: 0o700 });
  await mkdir(paths.kubeconfigs, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(paths.pki, name);

  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('ca.key')]);
  await run('openssl', ['req', '-x509', '-new', '-key', file('ca.key'), '-subj', '/CN=perses-oci-conformance-ca', '-days', VALIDITY_DAYS, '-out', file('ca.crt')]);

  for (const request of CERTIFICATES) {
    await issueCertificate(paths, request);
  }

  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('service-account.key')]);
  await run('openssl', ['ec', '-in', file('service-account.key'), '-pubout', '-out', file('service-account.pub')]);

  for (const user of KUBECONFIG_USERS) {
    await writeKubeconfig(paths, user);
  }
}

async function issueCertificate(paths: StatePaths, request: CertificateRequest): Promise<void> {
  const file = (suffix: string) => path.join(paths.pki, `${request.name}${suffix}`);
  const subject = `${request.organization ? `/O=${request.organization}` : ''}/CN=${request.commonName}`;
  const extensions = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${request.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ...(request.altNames ? [`subjectAltName=${request.altNames.join(',')}`] : []),
  ];
  await writeFile(file('.ext'), `${extensions.join('\n')}\n`);

  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('.key')]);
  await run('openssl', ['req', '-new', '-key', file('.key'), '-subj', subject, '-out', file('.csr')]);
  await run('openssl', [
    'x509', '-req', '-in', file('.csr'),
    '-CA', path.join(paths.pki, 'ca.crt'), '-CAkey', path.join(paths.pki, 'ca.key'), '-CAcreateserial',
    '-days', VALIDITY_DAYS, '-extfile', file('.ext'), '-out', file('.crt'),
  ]);
}

/** Returns the kubeconfig path of `user`. */
export function kubeconfigPath(paths: StatePaths, user: KubeconfigUser): string {
  return path.join(paths.kubeconfigs, `${user}.yaml`);
}

async function writeKubeconfig(paths: StatePaths, user: KubeconfigUser): Promise<void> {
  const base64Of = async (name: string) => (await readFile(path.join(paths.pki, name))).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'perses-oci-conformance',
        cluster: { server: `https://${HOST_IP}:${PORTS.apiserver}`, 'certificate-authority-data': await base64Of('ca.crt') },
      },
    ],
    users: [
      {
        name: user,
        user: { 'client-certificate-data': await base64Of(`${user}.crt`), 'client-key-data': await base64Of(`${user}.key`) },
      },
    ],
    contexts: [{ name: 'perses-oci-conformance', context: { cluster: 'perses-oci-conformance', user } }],
    'current-context': 'perses-oci-conformance',
  };
  await writeFile(kubeconfigPath(paths, user), stringify(config), { mode: 0o600 });
}
