// Proves on a real kubelet and containerd that the reference chart's
// ociArtifacts values mount an OCI image as a volume: files at mountPath,
// subPath, upgrade, rollback and the two image pull failures. It installs
// releases, so it runs only when asked: LIVE=1 with the cluster from
// bin/cluster.ts up, or CLUSTER_KUBECONFIG.

import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readyClusterKubeconfig, trustLocalRegistry } from '../../helpers/cluster/cluster.js';
import { PROJECT_ROOT } from '../../helpers/cluster/layout.js';
import { runHelm, type HelmTarget } from '../../helpers/cluster/helm-release.js';
import { buildPersesStandInImage } from '../../helpers/cluster/stand-in-image.js';
import { execInPod, kubeConfigFrom, waitForPullFailure, waitForRunningPod } from '../../helpers/cluster/workloads.js';
import { resolveHelmBinaries } from '../../helpers/helm/binaries.js';
import { buildImage } from '../../helpers/oci/build.js';
import { RegistryClient } from '../../helpers/oci/registry-client.js';
import { startRegistry, type RunningRegistry } from '../../helpers/oci/registry-server.js';

const requested = process.env.LIVE === '1' || Boolean(process.env.CLUSTER_KUBECONFIG);
const kubeconfig = requested ? await readyClusterKubeconfig() : undefined;
const skipReason = !requested
  ? 'cluster tests are off: set LIVE=1 after `npx tsx bin/cluster.ts up`, or CLUSTER_KUBECONFIG'
  : 'LIVE=1, but no cluster is up: run `npx tsx bin/cluster.ts up` or set CLUSTER_KUBECONFIG';
const suiteName = kubeconfig ? 'cluster: ociArtifacts on a live kubelet' : `cluster: ociArtifacts on a live kubelet (skipped: ${skipReason})`;

const CHART = path.join(PROJECT_ROOT, 'fixtures', 'charts', 'reference');
const MOUNT_PATH = '/etc/perses/provisioning';
const RUN_ID = randomBytes(3).toString('hex');
const NAMESPACE = `oci-live-${RUN_ID}`;
const RELEASE = 'perses';

/** Files of each artifact version, by path inside the image. */
const ARTIFACT_FILES = {
  v1: ['dashboards/first-dashboard.json', 'prod/first-datasource.json'],
  v2: ['dashboards/second-dashboard.json', 'prod/second-datasource.json'],
} as const;

let registry: RunningRegistry;
let target: HelmTarget;
let core: CoreV1Api;

function artifactReference(tag: string): string {
  return `${registry.host}/perses-manifests:${tag}`;
}

function releaseValues(ociArtifacts: Record<string, unknown>): Record<string, unknown> {
  return {
    image: { repository: `${registry.host}/perses-stand-in`, tag: '1', pullPolicy: 'IfNotPresent' },
    config: { provisioning: { folders: [MOUNT_PATH] } },
    ociArtifacts: { name: 'perses-manifests', mountPath: MOUNT_PATH, ...ociArtifacts },
  };
}

function selectorOf(release: string) {
  return { namespace: NAMESPACE, labelSelector: `app.kubernetes.io/instance=${release}` };
}

async function pushArtifact(client: RegistryClient, tag: keyof typeof ARTIFACT_FILES | 'never-pulled'): Promise<void> {
  const files = tag === 'never-pulled' ? ['dashboards/unused.json'] : ARTIFACT_FILES[tag];
  const image = await buildImage({
    files: files.map((file) => ({ path: file, content: Buffer.from(JSON.stringify({ kind: 'Dashboard', metadata: { name: path.basename(file, '.json') } })) })),
  });
  await client.pushImage(image, { repository: 'perses-manifests', tag });
}

/** Lists the files under the mount path inside the Perses container, relative to it and sorted. */
async function mountedFiles(podName: string): Promise<string[]> {
  const { stdout } = await execInPod(kubeConfigFrom(target.kubeconfig), { namespace: NAMESPACE, pod: podName, container: 'perses' }, ['find', MOUNT_PATH, '-type', 'f']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((file) => path.relative(MOUNT_PATH, file))
    .sort();
}

describe.skipIf(!kubeconfig).sequential(suiteName, () => {
  beforeAll(async () => {
    registry = await startRegistry();
    await trustLocalRegistry(registry.host);
    const client = new RegistryClient({ registry: registry.host });
    await client.pushImage(await buildPersesStandInImage(), { repository: 'perses-stand-in', tag: '1' });
    await pushArtifact(client, 'v1');
    await pushArtifact(client, 'v2');
    await pushArtifact(client, 'never-pulled');

    const helm = (await resolveHelmBinaries()).at(-1);
    if (!helm) throw new Error('no helm binary found; see helpers/helm/binaries.ts for where it is looked up');
    target = { helmPath: helm.path, kubeconfig: kubeconfig as string, namespace: NAMESPACE };
    core = kubeConfigFrom(target.kubeconfig).makeApiClient(CoreV1Api);
  });

  afterAll(async () => {
    if (target && process.env.LIVE_KEEP_NAMESPACE !== '1') {
      await core.deleteNamespace({ name: NAMESPACE }).catch(() => undefined);
    }
    await registry?.stop();
  });

  it('install: the container sees the artifact files at mountPath', async () => {
    await runHelm(target, ['install', RELEASE, CHART, '--create-namespace'], releaseValues({ image: { reference: artifactReference('v1'), pullPolicy: 'IfNotPresent' } }));

    const pod = await waitForRunningPod(core, selectorOf(RELEASE));

    expect(await mountedFiles(pod.metadata?.name as string)).toEqual([...ARTIFACT_FILES.v1].sort());
  });

  it('upgrade: a new tag rolls the pod and mounts the new files', async () => {
    const before = await waitForRunningPod(core, selectorOf(RELEASE));

    await runHelm(target, ['upgrade', RELEASE, CHART], releaseValues({ image: { reference: artifactReference('v2'), pullPolicy: 'IfNotPresent' } }));
    const after = await waitForRunningPod(core, selectorOf(RELEASE), { replacedUids: [before.metadata?.uid as string] });

    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(await mountedFiles(after.metadata?.name as string)).toEqual([...ARTIFACT_FILES.v2].sort());
  });

  it('rollback: revision 1 brings the first files back', async () => {
    const before = await waitForRunningPod(core, selectorOf(RELEASE));

    await runHelm(target, ['rollback', RELEASE, '1']);
    const after = await waitForRunningPod(core, selectorOf(RELEASE), { replacedUids: [before.metadata?.uid as string] });

    expect(await mountedFiles(after.metadata?.name as string)).toEqual([...ARTIFACT_FILES.v1].sort());
  });

  it('subPath: only that folder of the artifact is mounted', async () => {
    const before = await waitForRunningPod(core, selectorOf(RELEASE));

    await runHelm(target, ['upgrade', RELEASE, CHART], releaseValues({ image: { reference: artifactReference('v1'), pullPolicy: 'IfNotPresent' }, subPath: 'prod' }));
    const after = await waitForRunningPod(core, selectorOf(RELEASE), { replacedUids: [before.metadata?.uid as string] });

    expect(await mountedFiles(after.metadata?.name as string)).toEqual(['first-datasource.json']);
  });

  it('pullPolicy Never: an absent image gives ErrImageNeverPull', async () => {
    const release = 'never-pull';

    await runHelm(target, ['install', release, CHART], releaseValues({ image: { reference: artifactReference('never-pulled'), pullPolicy: 'Never' } }));
    const failure = await waitForPullFailure(core, selectorOf(release), ['ErrImageNeverPull']);

    expect(failure.reason).toBe('ErrImageNeverPull');
    expect(failure.message).toContain(`"${artifactReference('never-pulled')}" is not present with pull policy of Never`);
  });

  it('missing reference: the pull fails with ErrImagePull', async () => {
    const release = 'missing-image';

    await runHelm(target, ['install', release, CHART], releaseValues({ image: { reference: artifactReference('does-not-exist'), pullPolicy: 'Always' } }));
    const failure = await waitForPullFailure(core, selectorOf(release), ['ErrImagePull', 'ImagePullBackOff']);

    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(failure.reason);
    expect(failure.message).toContain(`Failed to pull image "${artifactReference('does-not-exist')}"`);
  });
});
