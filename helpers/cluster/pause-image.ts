// Packs the locally built pause program into an image and imports it into
// containerd's Kubernetes namespace, where it serves as the sandbox image.

import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

import { buildImage } from '../oci/build.js';
import { writeOciLayout } from '../oci/layout.js';
import type { Binaries } from './build.js';
import { run } from './exec.js';
import { PAUSE_IMAGE, type StatePaths } from './layout.js';

export async function importPauseImage(paths: StatePaths, binaries: Binaries): Promise<void> {
  const image = await buildImage({
    files: [{ path: 'pause', content: await readFile(binaries.pause), mode: 0o755 }],
    runtime: { entrypoint: ['/pause'] },
    labels: { description: 'Pod sandbox process of the local conformance cluster' },
  });

  const separator = PAUSE_IMAGE.lastIndexOf(':');
  const layoutDir = path.join(paths.images, 'pause-layout');
  const archive = path.join(paths.images, 'pause.tar');
  await rm(layoutDir, { recursive: true, force: true });
  await mkdir(layoutDir, { recursive: true });
  await writeOciLayout(image, layoutDir, { tag: PAUSE_IMAGE.slice(separator + 1) });
  await run('tar', ['-C', layoutDir, '-cf', archive, '.']);

  // ctr names an imported image <base-name>:<tag from the layout's index>.
  await run(binaries.ctr, [
    '--address', paths.containerdSocket, '--namespace', 'k8s.io',
    'images', 'import', '--base-name', PAUSE_IMAGE.slice(0, separator), archive,
  ]);
}
