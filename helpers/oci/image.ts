// Media types, descriptors and the in-memory image shape shared by the
// builder, the OCI layout reader and writer, and the registry client.
// Field names follow the OCI image spec v1.1.

import { createHash } from 'node:crypto';

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  empty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The artifactType of the bare-artifact form; the name is this project's own, not a registered type. */
export const PERSES_ARTIFACT_TYPE = 'application/vnd.perses.manifests.v1';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Image configuration (OCI image spec, config.md). Empty `{}` in the artifact form. */
export interface ImageConfig {
  created?: string;
  architecture?: string;
  os?: string;
  config?: {
    Labels?: Record<string, string>;
    Entrypoint?: string[];
    Cmd?: string[];
    Env?: string[];
    WorkingDir?: string;
  };
  rootfs?: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; empty_layer?: boolean; comment?: string }>;
}

/** An image held in memory: its manifest, parsed config and every blob the manifest names. */
export interface BuiltImage {
  manifest: ImageManifest;
  /** The exact manifest bytes whose sha256 is `manifestDigest`. */
  manifestBytes: Buffer;
  manifestDigest: string;
  config: ImageConfig;
  /** Blob bytes by digest: the config and each layer. */
  blobs: Map<string, Buffer>;
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Throws unless `bytes` hash to `expected`. `label` names the blob in the message. */
export function verifyDigest(bytes: Buffer, expected: string, label: string): void {
  if (!expected.startsWith('sha256:')) {
    throw new Error(`${label}: digest ${expected} uses an unsupported algorithm; only sha256 is supported`);
  }
  const actual = sha256Digest(bytes);
  if (actual !== expected) {
    throw new Error(`${label}: digest mismatch, expected ${expected}, found ${actual}; the content was changed or truncated, so fetch or rebuild it`);
  }
}

/** Builds a BuiltImage from manifest bytes and the blobs it references, checking every digest. */
export function assembleImage(manifestBytes: Buffer, blobs: Map<string, Buffer>, source: string): BuiltImage {
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest;
  if (manifest.mediaType === MEDIA_TYPES.index || manifest.mediaType === MEDIA_TYPES.dockerManifestList) {
    throw new Error(`${source}: is an image index (${manifest.mediaType}); point at one platform's manifest instead`);
  }
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new Error(`${source}: manifest has no config or layers; expected an OCI image manifest (${MEDIA_TYPES.manifest})`);
  }

  for (const descriptor of [manifest.config, ...manifest.layers]) {
    const blob = blobs.get(descriptor.digest);
    if (!blob) throw new Error(`${source}: blob ${descriptor.digest} (${descriptor.mediaType}) is missing; pull or build the image again`);
    verifyDigest(blob, descriptor.digest, `${source}: blob ${descriptor.mediaType}`);
  }

  const configBlob = blobs.get(manifest.config.digest) ?? Buffer.from('{}');
  const config = JSON.parse(configBlob.toString('utf8')) as ImageConfig;
  return { manifest, manifestBytes, manifestDigest: sha256Digest(manifestBytes), config, blobs };
}
