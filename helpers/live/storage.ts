// Gives a StatefulSet claim somewhere to bind on clusters without a
// default StorageClass, such as the local cluster: a hostPath
// PersistentVolume reserved for one claim.

import os from 'node:os';
import path from 'node:path';
import { chmod, mkdir, rm } from 'node:fs/promises';

import { StorageV1Api } from '@kubernetes/client-node';

import type { RenderedDocument } from '../render/render-chart.js';
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
  if (options.isLocalCluster) {
    // A hostPath volume keeps the folder's owner and mode (fsGroup does not
    // apply), so Perses running as a non-root user needs it open to all.
    await mkdir(hostPath, { recursive: true });
    await chmod(hostPath, 0o777);
  }
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

/**
 * Returns the PersistentVolumeClaims a rendered release will create: its
 * PersistentVolumeClaim objects, and `<template>-<statefulset>-<ordinal>`
 * for each StatefulSet claim template, as the StatefulSet controller names
 * them. Charts name their claims differently, so the live suite reads them
 * from the render instead of assuming one chart's names.
 */
export function claimsOfRelease(documents: RenderedDocument[]): string[] {
  const claims: string[] = [];
  for (const { object } of documents) {
    const name = object.metadata?.name;
    if (object.kind === 'PersistentVolumeClaim' && name) claims.push(name);
    if (object.kind !== 'StatefulSet' || !name) continue;

    const spec = object.spec as { replicas?: number; volumeClaimTemplates?: Array<{ metadata?: { name?: string } }> } | undefined;
    for (const template of spec?.volumeClaimTemplates ?? []) {
      for (let ordinal = 0; ordinal < (spec?.replicas ?? 1); ordinal++) claims.push(`${template.metadata?.name}-${name}-${ordinal}`);
    }
  }
  return claims;
}
