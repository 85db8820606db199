// Gives a StatefulSet claim somewhere to bind on clusters without a
// default StorageClass, such as the local cluster: a hostPath
// PersistentVolume reserved for one claim.

import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';

import { StorageV1Api } from '@kubernetes/client-node';

import type { LiveScenario } from './scenario.js';

/**
 * Creates a PersistentVolume bound in advance to `claim` in the scenario's
 * namespace, unless the cluster has a default StorageClass. The volume is
 * deleted after the scenario, and its folder too on the local cluster.
 */
export async function provideVolumeForClaim(scenario: LiveScenario, claim: string, options: { isLocalCluster: boolean; size: string }): Promise<void> {
  const { core } = scenario.context.clients;
  const storage = scenario.context.clients.config.makeApiClient(StorageV1Api);
  const classes = (await storage.listStorageClass()).items;
  if (classes.some((storageClass) => storageClass.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true')) return;

  const name = `${scenario.namespace}-${claim}`.slice(0, 63);
  // The kubelet of the local cluster runs on this machine, so its temporary
  // folder is the node's. On another cluster the path is on the node.
  const hostPath = path.join(os.tmpdir(), 'perses-live-volumes', name);
  await core.createPersistentVolume({
    body: {
      metadata: { name, labels: { 'perses-oci-conformance/live': 'true' } },
      spec: {
        capacity: { storage: options.size },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '',
        claimRef: { namespace: scenario.namespace, name: claim },
        hostPath: { path: hostPath, type: 'DirectoryOrCreate' },
      },
    },
  });
  scenario.onCleanup(async () => {
    await core.deletePersistentVolume({ name }).catch(() => undefined);
    if (options.isLocalCluster) await rm(hostPath, { recursive: true, force: true });
  });
}
