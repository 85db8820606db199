// Chooses what the live suites run on: a cluster (LIVE_KUBECONFIG, or the
// local cluster from bin/cluster.ts when LIVE=1), a registry its nodes can
// pull from, and the Perses image.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { readyClusterKubeconfig, trustLocalRegistry } from '../cluster/cluster.js';
import { buildImage } from '../oci/build.js';
import { RegistryClient } from '../oci/registry-client.js';
import { startRegistry } from '../oci/registry-server.js';
import { buildStandInBinary } from '../perses/stand-in-binary.js';

export interface LiveTarget {
  kubeconfig: string;
  /** Origin of the kubeconfig, for messages. */
  source: string;
  isLocalCluster: boolean;
}

/**
 * Returns the cluster to run on, or the reason to skip. Live suites install
 * releases, so they never pick a cluster on their own: LIVE_KUBECONFIG names
 * one, and LIVE=1 selects the local cluster. KUBECONFIG is not read.
 */
export async function resolveLiveTarget(): Promise<LiveTarget | { skipReason: string }> {
  const local = await readyClusterKubeconfig().catch(() => undefined);
  const explicit = process.env.LIVE_KUBECONFIG;

  if (explicit) {
    if (!existsSync(explicit)) return { skipReason: `LIVE_KUBECONFIG=${explicit} does not exist` };
    return { kubeconfig: explicit, source: 'LIVE_KUBECONFIG', isLocalCluster: local !== undefined && path.resolve(explicit) === path.resolve(local) };
  }
  if (process.env.LIVE !== '1') {
    return { skipReason: 'live suites are off: set LIVE=1 to run them on the local cluster (npx tsx bin/cluster.ts up), or LIVE_KUBECONFIG to name another cluster' };
  }
  if (local) return { kubeconfig: local, source: 'the local cluster', isLocalCluster: true };
  return { skipReason: 'LIVE=1, but the local cluster is not ready: start it with `npx tsx bin/cluster.ts up`, or set LIVE_KUBECONFIG' };
}

export interface LiveRegistry {
  /** Host and port used in image references, e.g. 127.0.0.1:40123 or localhost:5001. */
  host: string;
  client: RegistryClient;
  stop(): Promise<void>;
}

/**
 * Returns LIVE_REGISTRY when set, which must be reachable under the same
 * name from this machine and from the nodes (as kind's localhost:5001
 * mirror is). Otherwise, on the local cluster only, starts a registry on
 * 127.0.0.1 and lets the cluster's containerd pull from it over HTTP.
 */
export async function openLiveRegistry(target: LiveTarget): Promise<LiveRegistry> {
  const shared = process.env.LIVE_REGISTRY;
  if (shared) return { host: shared, client: new RegistryClient({ registry: shared }), stop: async () => undefined };
  if (!target.isLocalCluster) {
    throw new Error(`the cluster from ${target.source} cannot pull from a registry on this machine's loopback; set LIVE_REGISTRY to a registry that both this machine and the nodes reach under one name`);
  }

  const registry = await startRegistry();
  await trustLocalRegistry(registry.host);
  return { host: registry.host, client: new RegistryClient({ registry: registry.host }), stop: () => registry.stop() };
}

export interface PersesImage {
  repository: string;
  tag: string;
  /** True for the stand-in, false for a real Perses image from PERSES_IMAGE. */
  standIn: boolean;
}

/**
 * Returns PERSES_IMAGE (e.g. docker.io/persesdev/perses:v0.54.0, already on
 * the nodes) when set. Otherwise builds the stand-in binary for the node
 * architecture, packs it into a runnable image and pushes it.
 */
export async function preparePersesImage(registry: LiveRegistry): Promise<PersesImage> {
  const realImage = process.env.PERSES_IMAGE;
  if (realImage) {
    const colon = realImage.lastIndexOf(':');
    if (colon <= realImage.lastIndexOf('/')) throw new Error(`PERSES_IMAGE=${realImage} has no tag; give one such as docker.io/persesdev/perses:v0.54.0`);
    return { repository: realImage.slice(0, colon), tag: realImage.slice(colon + 1), standIn: false };
  }

  const binary = await readFile(await buildStandInBinary());
  // The binary goes to /bin/perses, as in the Perses image, because the
  // chart mounts the file database at /perses and would hide a file there.
  const image = await buildImage({
    files: [{ path: 'bin/perses', content: binary, mode: 0o755 }],
    // A numeric non-root user, as charts that set runAsNonRoot require.
    runtime: { entrypoint: ['/bin/perses'], user: '65534' },
    labels: { description: 'Perses stand-in for the live conformance suites' },
  });
  const tag = image.manifestDigest.slice('sha256:'.length, 'sha256:'.length + 16);
  await registry.client.pushImage(image, { repository: 'perses-stand-in', tag });
  return { repository: `${registry.host}/perses-stand-in`, tag, standIn: true };
}

/**
 * Returns the values that point a chart's Perses container at an image. The
 * Perses chart splits the image into registry, name and version; the
 * reference chart takes repository and tag. The chart's defaults tell which.
 */
export function persesImageValues(chartDefaults: Record<string, unknown>, perses: PersesImage): Record<string, unknown> {
  const defaults = chartDefaults.image as Record<string, unknown> | undefined;
  if (defaults && 'registry' in defaults && 'name' in defaults) {
    const slash = perses.repository.indexOf('/');
    return { registry: perses.repository.slice(0, slash), name: perses.repository.slice(slash + 1), version: perses.tag, pullPolicy: 'IfNotPresent' };
  }
  return { repository: perses.repository, tag: perses.tag, pullPolicy: 'IfNotPresent' };
}
