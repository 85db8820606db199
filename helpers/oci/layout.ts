// Reads and writes images as an OCI image layout folder (oci-layout,
// index.json, blobs/sha256/<hex>), the format that skopeo, crane, oras and
// `docker buildx --output type=oci` exchange.

import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { assembleImage, MEDIA_TYPES, type BuiltImage, type Descriptor } from './image.js';

const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

/**
 * Writes the image into `dir`, creating it if needed. An existing layout is
 * kept: its other tags stay, and a manifest already tagged `tag` is replaced.
 * The tag defaults to "latest". Throws, before writing anything, when `dir`
 * is a file, a non-empty folder that is not a layout, or a layout whose
 * index.json cannot be read, so no one's files are overwritten.
 */
export async function writeOciLayout(image: BuiltImage, dir: string, options: { tag?: string } = {}): Promise<void> {
  const tag = options.tag ?? 'latest';
  const existingIndex = await readExistingIndex(dir);
  const blobsDir = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });

  const blobs = new Map(image.blobs);
  blobs.set(image.manifestDigest, image.manifestBytes);
  for (const [digest, bytes] of blobs) {
    await writeFile(path.join(blobsDir, hexOf(digest)), bytes);
  }

  const index = existingIndex ?? { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [] };
  const manifests = index.manifests.filter((entry) => entry.annotations?.[REF_NAME_ANNOTATION] !== tag);
  manifests.push({
    mediaType: image.manifest.mediaType,
    digest: image.manifestDigest,
    size: image.manifestBytes.length,
    ...(image.manifest.artifactType ? { artifactType: image.manifest.artifactType } : {}),
    annotations: { [REF_NAME_ANNOTATION]: tag },
  });

  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ ...index, manifests }, null, 2));
}

/**
 * Reads one image from an OCI layout and verifies every digest. Without a
 * tag, the layout must hold exactly one manifest.
 */
export async function readOciLayout(dir: string, tag?: string): Promise<BuiltImage> {
  const index = await readIndex(dir);
  const tags = index.manifests.map((entry) => entry.annotations?.[REF_NAME_ANNOTATION] ?? '(untagged)');

  const entry =
    tag === undefined
      ? index.manifests.length === 1
        ? index.manifests[0]
        : undefined
      : index.manifests.find((candidate) => candidate.annotations?.[REF_NAME_ANNOTATION] === tag);
  if (!entry) {
    const wanted = tag === undefined ? 'a single manifest' : `tag "${tag}"`;
    throw new Error(`OCI layout ${dir}: expected ${wanted}, found tags [${tags.join(', ')}]; pass one of them as the tag`);
  }

  const manifestBytes = await readBlob(dir, entry.digest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config?: Descriptor; layers?: Descriptor[] };
  const blobs = new Map<string, Buffer>();
  for (const descriptor of [manifest.config, ...(manifest.layers ?? [])]) {
    if (descriptor) blobs.set(descriptor.digest, await readBlob(dir, descriptor.digest));
  }
  return assembleImage(manifestBytes, blobs, `OCI layout ${dir}`);
}

/** Returns true when `dir` looks like an OCI layout (it has an oci-layout file). */
export async function isOciLayout(dir: string): Promise<boolean> {
  return (await stat(path.join(dir, 'oci-layout')).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Returns the index of the layout at `dir`, or undefined when `dir` is
 * missing, empty, or a layout without index.json. Throws for anything that
 * writing a layout would damage.
 */
async function readExistingIndex(dir: string): Promise<ImageIndex | undefined> {
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat) return undefined;
  if (!dirStat.isDirectory()) throw new Error(`OCI layout target ${dir} is a file, not a folder; pass a new folder, an empty one or an existing OCI layout`);

  if (!(await isOciLayout(dir))) {
    const names = await readdir(dir);
    if (names.length === 0) return undefined;
    throw new Error(`OCI layout target ${dir} is a non-empty folder with no oci-layout file, so writing there would overwrite its files; pass a new folder, an empty one or an existing OCI layout`);
  }

  const hasIndex = (await stat(path.join(dir, 'index.json')).catch(() => undefined)) !== undefined;
  return hasIndex ? readIndex(dir) : undefined;
}

async function readIndex(dir: string): Promise<ImageIndex> {
  const indexPath = path.join(dir, 'index.json');
  const text = await readFile(indexPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`OCI layout ${dir}: cannot read index.json (${error.code ?? error.message}); build one with \`perses-oci build <dir> --layout ${dir}\``);
  });

  let index: ImageIndex;
  try {
    index = JSON.parse(text) as ImageIndex;
  } catch {
    throw new Error(`OCI layout ${dir}: ${indexPath} is not valid JSON; expected an OCI image index, so restore the file or build the layout again into a new folder`);
  }
  if (typeof index !== 'object' || index === null || !Array.isArray(index.manifests)) {
    throw new Error(`OCI layout ${dir}: ${indexPath} has no manifests array; expected an OCI image index, so restore the file or build the layout again into a new folder`);
  }
  return index;
}

async function readBlob(dir: string, digest: string): Promise<Buffer> {
  const blobPath = path.join(dir, 'blobs', 'sha256', hexOf(digest));
  return readFile(blobPath).catch(() => {
    throw new Error(`OCI layout ${dir}: blob ${digest} is missing at ${blobPath}; the layout is incomplete, so write it again`);
  });
}

function hexOf(digest: string): string {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!match?.[1]) throw new Error(`digest "${digest}" is invalid; expected sha256: followed by 64 hex digits`);
  return match[1];
}
