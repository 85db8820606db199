// Writes and removes files in a Perses provisioning folder so that a
// provisioning pass never reads a half-written file.

import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes `content` to `relativePath` under `root` through a temporary name that Perses ignores. */
export async function writeProvisioningFile(root: string, relativePath: string, content: string): Promise<void> {
  const target = path.join(root, relativePath);
  await mkdir(path.dirname(target), { recursive: true });
  // Perses reads only .json, .yaml and .yml, so the .partial name is skipped.
  const partial = `${target}.${process.pid}.partial`;
  await writeFile(partial, content);
  await rename(partial, target);
}

export async function removeProvisioningFile(root: string, relativePath: string): Promise<void> {
  await rm(path.join(root, relativePath), { force: true });
}
