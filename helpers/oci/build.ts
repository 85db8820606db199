// Builds an OCI image from a folder without a container engine.
//
// The result matches what `docker build` makes from a Dockerfile of the form
//   FROM scratch / LABEL ... / COPY dashboards/ datasources/ projects/ / WORKDIR /
// which is one layer with the folder's files at the same paths from the
// image root, labels in the image config, and WorkingDir "/".
//
// Same input gives the same digest: entries are sorted, every mtime is
// CREATED_EPOCH_SECONDS, owners are 0:0, modes are normalized, and the gzip
// stream has no timestamp or file name (node:zlib writes mtime 0 and no name).
// NOTE: a different zlib build may compress to other bytes, so digests are
// stable across runs of one Node version, not promised across Node versions.

import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import {
  MEDIA_TYPES,
  PERSES_ARTIFACT_TYPE,
  sha256Digest,
  type BuiltImage,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
} from './image.js';
import { writeTar, type TarEntry } from './tar.js';

/** Timestamp used for the config, the created annotation and every tar entry. */
export const CREATED_EPOCH_SECONDS = 0;
const CREATED_ISO = new Date(CREATED_EPOCH_SECONDS * 1000).toISOString().replace('.000Z', 'Z');

/** Level 9 because a layer is built once and pulled by every node. A fixed level keeps the bytes the same from run to run. */
const GZIP_LEVEL = 9;

export type ImageForm = 'image' | 'artifact';

export interface ExtraFile {
  /** Path from the image root, e.g. 'bin/busybox'. */
  path: string;
  content: Buffer;
  /** Permission bits; 0o644 by default, 0o755 for an executable. */
  mode?: number;
}

export interface ExtraSymlink {
  path: string;
  linkTarget: string;
}

export interface BuildImageOptions {
  /** Folder whose files are copied to the same paths from the image root. */
  sourceDir?: string;
  /** Labels stored in the image config, like Dockerfile LABEL. */
  labels?: Record<string, string>;
  /** Manifest annotations, added to and overriding the org.opencontainers.image.* ones derived from labels. */
  annotations?: Record<string, string>;
  /**
   * 'image' (default) writes a regular image config, which container runtimes
   * need to mount the image as a volume. 'artifact' writes the empty config
   * and sets artifactType, for registries and tools that expect an OCI artifact.
   */
  form?: ImageForm;
  /** Process settings for a runnable image; a data-only image leaves them out. */
  runtime?: { entrypoint?: string[]; cmd?: string[]; env?: string[]; workingDir?: string; user?: string };
  /** Files added to the layer after those from sourceDir; a file at the same path replaces it. */
  files?: Array<ExtraFile | ExtraSymlink>;
  /** Platform written to the config; defaults to linux and the architecture Node runs on. */
  platform?: { os: string; architecture: string };
}

/**
 * Builds a one-layer OCI image from `sourceDir` and `files`, entirely in
 * memory. Default labels: description "Perses manifests". Throws if there are no
 * files at all, or if a path escapes the image root.
 */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const form = options.form ?? 'image';
  const labels = { description: 'Perses manifests', ...options.labels };

  const entries = await collectEntries(options);
  if (!entries.some((entry) => entry.type !== 'directory')) {
    throw new Error(`no files to put in the image from ${options.sourceDir ?? 'the files option'}; expected at least one resource file`);
  }
  const layerTar = writeTar(entries, { mtimeSeconds: CREATED_EPOCH_SECONDS });
  const layerGzip = gzipSync(layerTar, { level: GZIP_LEVEL });
  // Byte 9 of the gzip header is the OS code, which zlib sets from the
  // platform it was built for; 255 ("unknown") keeps the bytes platform-free.
  layerGzip[9] = 255;

  const layer: Descriptor = { mediaType: MEDIA_TYPES.layerGzip, digest: sha256Digest(layerGzip), size: layerGzip.length };
  const configBytes = form === 'image' ? encodeJson(makeImageConfig(options, labels, sha256Digest(layerTar))) : Buffer.from('{}');
  const configDescriptor: Descriptor = {
    mediaType: form === 'image' ? MEDIA_TYPES.config : MEDIA_TYPES.empty,
    digest: sha256Digest(configBytes),
    size: configBytes.length,
  };

  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    ...(form === 'artifact' ? { artifactType: PERSES_ARTIFACT_TYPE } : {}),
    config: configDescriptor,
    layers: [layer],
    annotations: sortKeys({ ...annotationsFromLabels(labels), ...options.annotations }),
  };
  const manifestBytes = encodeJson(manifest);

  return {
    manifest,
    manifestBytes,
    manifestDigest: sha256Digest(manifestBytes),
    config: JSON.parse(configBytes.toString('utf8')) as ImageConfig,
    blobs: new Map([
      [configDescriptor.digest, configBytes],
      [layer.digest, layerGzip],
    ]),
  };
}

function makeImageConfig(options: BuildImageOptions, labels: Record<string, string>, diffId: string): ImageConfig {
  const runtime = options.runtime ?? {};
  const processConfig: NonNullable<ImageConfig['config']> = {
    ...(runtime.entrypoint ? { Entrypoint: runtime.entrypoint } : {}),
    ...(runtime.cmd ? { Cmd: runtime.cmd } : {}),
    ...(runtime.env ? { Env: runtime.env } : {}),
    ...(runtime.user ? { User: runtime.user } : {}),
    Labels: sortKeys(labels),
    WorkingDir: runtime.workingDir ?? '/',
  };
  const platform = options.platform ?? { os: 'linux', architecture: nodeArchToOci(process.arch) };

  return {
    created: CREATED_ISO,
    architecture: platform.architecture,
    os: platform.os,
    config: processConfig,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: CREATED_ISO, created_by: 'perses-oci build', comment: 'one layer with the resource files' }],
  };
}

/** Maps the Dockerfile-style labels to the standard org.opencontainers.image.* annotations. */
function annotationsFromLabels(labels: Record<string, string>): Record<string, string> {
  const annotations: Record<string, string> = { 'org.opencontainers.image.created': CREATED_ISO };
  const mapping: Record<string, string> = {
    description: 'org.opencontainers.image.description',
    source: 'org.opencontainers.image.source',
    maintainer: 'org.opencontainers.image.authors',
    version: 'org.opencontainers.image.version',
    title: 'org.opencontainers.image.title',
  };
  for (const [label, annotation] of Object.entries(mapping)) {
    const value = labels[label];
    if (value !== undefined) annotations[annotation] = value;
  }
  return annotations;
}

function nodeArchToOci(arch: string): string {
  const mapping: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return mapping[arch] ?? arch;
}

/** Collects the layer entries: parent directories, sourceDir's files, then `files`, sorted by path. */
async function collectEntries(options: BuildImageOptions): Promise<TarEntry[]> {
  const byPath = new Map<string, TarEntry>();

  if (options.sourceDir !== undefined) {
    const sourceStat = await lstat(options.sourceDir).catch(() => undefined);
    if (!sourceStat?.isDirectory()) {
      throw new Error(`source folder ${options.sourceDir} does not exist or is not a folder; pass the folder that holds the Perses resources`);
    }
    for (const entry of await walkFolder(options.sourceDir, '')) byPath.set(entry.path, entry);
  }

  for (const file of options.files ?? []) {
    const filePath = checkImagePath(file.path);
    byPath.set(
      filePath,
      'linkTarget' in file
        ? { path: filePath, type: 'symlink', mode: 0o777, content: Buffer.alloc(0), linkTarget: file.linkTarget }
        : { path: filePath, type: 'file', mode: file.mode ?? 0o644, content: file.content, linkTarget: '' },
    );
  }

  for (const entryPath of [...byPath.keys()]) {
    for (let parent = path.posix.dirname(entryPath); parent !== '.'; parent = path.posix.dirname(parent)) {
      if (!byPath.has(parent)) byPath.set(parent, { path: parent, type: 'directory', mode: 0o755, content: Buffer.alloc(0), linkTarget: '' });
    }
  }
  return [...byPath.values()].sort((a, b) => compareWalkOrder(a.path, b.path));
}

/**
 * Reads a folder recursively. Modes are normalized to 0o755 for folders and
 * executables and 0o644 for other files, so umask and checkout tools do not
 * change the digest.
 */
async function walkFolder(root: string, relative: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const names = (await readFolderNames(path.join(root, relative))).sort();

  for (const name of names) {
    const entryPath = relative === '' ? name : `${relative}/${name}`;
    const fullPath = path.join(root, entryPath);
    const stat = await lstat(fullPath);

    if (stat.isDirectory()) {
      entries.push({ path: entryPath, type: 'directory', mode: 0o755, content: Buffer.alloc(0), linkTarget: '' });
      entries.push(...(await walkFolder(root, entryPath)));
    } else if (stat.isSymbolicLink()) {
      entries.push({ path: entryPath, type: 'symlink', mode: 0o777, content: Buffer.alloc(0), linkTarget: await readlink(fullPath) });
    } else if (stat.isFile()) {
      const mode = (stat.mode & 0o111) !== 0 ? 0o755 : 0o644;
      entries.push({ path: entryPath, type: 'file', mode, content: await readFile(fullPath), linkTarget: '' });
    } else {
      throw new Error(`${fullPath} is neither a file, a folder nor a symlink; remove it from the source folder`);
    }
  }
  return entries;
}

/**
 * Lists a folder's entry names. They are read as bytes, because Node decodes
 * a name that is not valid UTF-8 with U+FFFD, and that name then names no
 * file. The image stores paths as UTF-8, so such a name is an error.
 */
async function readFolderNames(folder: string): Promise<string[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const names: string[] = [];

  for (const rawName of await readdir(folder, { encoding: 'buffer' })) {
    try {
      names.push(decoder.decode(rawName));
    } catch {
      const shown = [...rawName].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
      throw new Error(`folder ${folder} contains a file name that is not valid UTF-8 ("${shown}"); rename it, because the image stores paths as UTF-8`);
    }
  }
  return names;
}

function checkImagePath(rawPath: string): string {
  const normalized = path.posix.normalize(rawPath.replace(/^\/+/, ''));
  if (normalized === '.' || normalized.startsWith('../') || normalized === '..') {
    throw new Error(`file path "${rawPath}" is outside the image root; use a path such as "bin/busybox"`);
  }
  return normalized;
}

/**
 * Orders paths the way a recursive walk with sorted folder listings visits
 * them (Go's filepath.Walk, which Perses provisioning uses): component by component.
 */
export function compareWalkOrder(a: string, b: string): number {
  const partsA = a.split('/');
  const partsB = b.split('/');
  for (let i = 0; i < Math.min(partsA.length, partsB.length); i++) {
    const partA = partsA[i] ?? '';
    const partB = partsB[i] ?? '';
    if (partA !== partB) return partA < partB ? -1 : 1;
  }
  return partsA.length - partsB.length;
}

function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
