// Checks, before any scenario, that the cluster can mount an image volume:
// a throwaway pod mounts a tiny image and must start.

import { randomBytes } from 'node:crypto';

import { buildImage } from '../oci/build.js';
import { UnrecoverableStateError, waitUntil } from '../wait/wait.js';
import { describePod, stuckReason, type KubeClients } from './kube.js';
import type { LiveRegistry, PersesImage } from './target.js';

/** Returns undefined when a pod with an image volume starts, else the reason it cannot. */
export async function checkImageVolumeSupport(clients: KubeClients, registry: LiveRegistry, perses: PersesImage): Promise<string | undefined> {
  const probe = await buildImage({ files: [{ path: 'probe.txt', content: Buffer.from('image volume probe\n') }], labels: { description: 'image volume probe' } });
  await registry.client.pushImage(probe, { repository: 'image-volume-probe', tag: 'v1' });
  const namespace = `live-preflight-${randomBytes(3).toString('hex')}`;
  const core = clients.core;

  await core.createNamespace({ body: { metadata: { name: namespace } } });
  try {
    try {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'probe' },
          spec: {
            restartPolicy: 'Never',
            // The Perses image runs with its defaults; only the mount matters.
            containers: [{ name: 'perses', image: `${perses.repository}:${perses.tag}`, imagePullPolicy: 'IfNotPresent', volumeMounts: [{ name: 'probe', mountPath: '/probe', readOnly: true }] }],
            volumes: [{ name: 'probe', image: { reference: `${registry.host}/image-volume-probe@${probe.manifestDigest}`, pullPolicy: 'IfNotPresent' } }],
          },
        },
      });
    } catch (error) {
      const body = (error as { body?: unknown }).body;
      return `the API server rejected a pod with an image volume (${String(body ?? (error as Error).message).slice(0, 300)}); enable the ImageVolume feature gate (Kubernetes 1.31 to 1.34) or use 1.35 or later`;
    }

    return await waitUntil(
      async () => {
        const pod = await core.readNamespacedPod({ namespace, name: 'probe' });
        const stuck = stuckReason(pod);
        if (stuck) throw new UnrecoverableStateError(`${describePod(pod)}: ${stuck}`);
        return pod.status?.phase === 'Running' ? undefined : { pending: describePod(pod) };
      },
      { what: 'a pod with an image volume to start', budget: 'preflight' },
    ).then(
      () => undefined,
      (error: Error) => `a pod that mounts an image volume did not start: ${error.message}; the kubelet needs ImageVolume and a runtime that supports it (containerd 2.1 or later, CRI-O 1.31 or later)`,
    );
  } finally {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}
