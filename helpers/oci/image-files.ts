// Unpacks the file tree of an image in memory, the way a container runtime
// stacks its layers before mounting it as a volume.

import { gunzipSync } from 'node:zlib';

import { MEDIA_TYPES, type BuiltImage } from './image.js';
import { readTar, type TarEntry } from './tar.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * Applies the image's layers in order and returns the resulting entries by
 * path. Whiteout files of later layers delete earlier paths (OCI image spec,
 * layer.md). Layers must be tar or gzip tar.
 */
export function listImageFiles(image: BuiltImage): Map<string, TarEntry> {
  const tree = new Map<string, TarEntry>();

  for (const layer of image.manifest.layers) {
    const blob = image.blobs.get(layer.digest);
    if (!blob) throw new Error(`image ${image.manifestDigest}: layer ${layer.digest} is missing from the blobs; pull or build the image again`);
    const isGzip = layer.mediaType === MEDIA_TYPES.layerGzip || layer.mediaType === MEDIA_TYPES.dockerLayerGzip || (blob[0] === 0x1f && blob[1] === 0x8b);
    if (!isGzip && layer.mediaType !== MEDIA_TYPES.layerTar) {
      throw new Error(`image ${image.manifestDigest}: layer ${layer.digest} has media type ${layer.mediaType}; expected ${MEDIA_TYPES.layerGzip} or ${MEDIA_TYPES.layerTar}`);
    }

    for (const entry of readTar(isGzip ? gunzipSync(blob) : blob)) {
      const slash = entry.path.lastIndexOf('/');
      const dir = slash === -1 ? '' : entry.path.slice(0, slash);
      const base = entry.path.slice(slash + 1);

      if (base === OPAQUE_WHITEOUT) {
        deleteTree(tree, dir, { keepRoot: true });
      } else if (base.startsWith(WHITEOUT_PREFIX)) {
        deleteTree(tree, (dir ? `${dir}/` : '') + base.slice(WHITEOUT_PREFIX.length), { keepRoot: false });
      } else {
        if (entry.type !== 'directory') deleteTree(tree, entry.path, { keepRoot: false });
        tree.set(entry.path, entry);
      }
    }
  }
  return tree;
}

function deleteTree(tree: Map<string, TarEntry>, root: string, options: { keepRoot: boolean }): void {
  const prefix = root === '' ? '' : `${root}/`;
  for (const entryPath of [...tree.keys()]) {
    if (entryPath.startsWith(prefix) || (!options.keepRoot && entryPath === root)) tree.delete(entryPath);
  }
}
