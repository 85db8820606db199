// The artifact versions the live scenarios push: Perses resources packed
// into an OCI image whose tags are versions.

import { buildImage, type ExtraFile } from '../oci/build.js';
import type { PersesResource } from '../perses/client.js';
import { dashboardResource, datasourceResource, projectResource, resourceFileContent, specDigest } from '../perses/resources.js';
import type { LiveRegistry } from './target.js';

export const LIVE_PROJECT = 'live';
export const LIVE_DATASOURCE = 'prometheus';
export const ARTIFACT_REPOSITORY = 'perses-manifests';

/** Dashboards of an artifact version: name to revision, e.g. { a: 'v1', c: 'v1' }. */
export type DashboardSet = Record<string, string>;

/** Returns the provisioning files of one environment: the project, its datasource and the dashboards. */
export function artifactFiles(dashboards: DashboardSet, options: { folder?: string } = {}): ExtraFile[] {
  const prefix = options.folder ? `${options.folder}/` : '';
  const file = (relativePath: string, resource: PersesResource): ExtraFile => ({ path: `${prefix}${relativePath}`, content: Buffer.from(resourceFileContent(resource)) });
  return [
    file(`projects/${LIVE_PROJECT}.json`, projectResource(LIVE_PROJECT)),
    file(`datasources/${LIVE_DATASOURCE}.json`, datasourceResource(LIVE_PROJECT, LIVE_DATASOURCE)),
    ...Object.entries(dashboards).map(([name, revision]) => file(`dashboards/${name}.json`, dashboardResource(LIVE_PROJECT, name, revision))),
  ];
}

/** Returns the expected spec digest of each dashboard of a set. */
export function expectedDigests(dashboards: DashboardSet): Record<string, string> {
  return Object.fromEntries(Object.entries(dashboards).map(([name, revision]) => [name, specDigest(dashboardResource(LIVE_PROJECT, name, revision).spec)]));
}

export interface PushedArtifact {
  tag: string;
  digest: string;
  /** Reference pinned by digest, e.g. 127.0.0.1:5000/perses-manifests@sha256:... */
  byDigest: string;
  byTag: string;
}

/** Builds an image of `files`, pushes it under `repository:tag` and returns its references. */
export async function pushArtifact(registry: LiveRegistry, repository: string, tag: string, files: ExtraFile[]): Promise<PushedArtifact> {
  const image = await buildImage({ files, labels: { version: tag } });
  await registry.client.pushImage(image, { repository, tag });
  return { tag, digest: image.manifestDigest, byDigest: `${registry.host}/${repository}@${image.manifestDigest}`, byTag: `${registry.host}/${repository}:${tag}` };
}
