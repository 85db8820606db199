// A stand-in for the Perses server image. No Perses image can be pulled on
// a machine that reaches only package registries. The live suites need
// just a container that keeps running and can list its mounted files.

import { readFile } from 'node:fs/promises';

import { buildImage } from '../oci/build.js';
import type { BuiltImage } from '../oci/image.js';

/** Path of the binary that Debian's busybox-static package installs. */
export const BUSYBOX_PATH = '/bin/busybox';
const APPLETS = ['sh', 'sleep', 'find', 'ls', 'cat', 'sort'];

/**
 * Builds an image whose entrypoint ignores the Perses arguments that the
 * chart passes, and sleeps until SIGTERM so that a rollout stops it at once.
 */
export async function buildPersesStandInImage(): Promise<BuiltImage> {
  const busybox = await readFile(BUSYBOX_PATH).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`the Perses stand-in image needs ${BUSYBOX_PATH}: ${error.code ?? error.message}; apt-get install busybox-static`);
  });

  return buildImage({
    files: [
      { path: 'bin/busybox', content: busybox, mode: 0o755 },
      ...APPLETS.map((applet) => ({ path: `bin/${applet}`, linkTarget: 'busybox' })),
    ],
    // The chart's container arguments land in $0 and $@ of this script.
    runtime: { entrypoint: ['/bin/sh', '-c', "trap 'exit 0' TERM; while :; do sleep 1; done"], env: ['PATH=/bin'] },
    labels: { description: 'Stand-in for the Perses server in live tests' },
  });
}
