// Builds the Perses stand-in (perses-stand-in/, a Go module) into a static
// binary, cached outside the repository by a hash of its sources, so that
// later runs and parallel test files reuse one build.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

import { isOnPath, run } from '../cluster/exec.js';
import { PROJECT_ROOT } from '../cluster/layout.js';

export const STAND_IN_SOURCE_DIR = path.join(PROJECT_ROOT, 'perses-stand-in');

/** Cache folder for stand-in builds; XDG_CACHE_HOME or ~/.cache, like the cluster binaries. */
function standInCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'perses-oci-conformance', 'perses-stand-in');
}

/** Hashes go.mod, go.sum and every .go file, so any source change gives a new build. */
async function hashSources(): Promise<string> {
  const names = (await readdir(STAND_IN_SOURCE_DIR)).filter((name) => name.endsWith('.go') || name === 'go.mod' || name === 'go.sum').sort();
  const hash = createHash('sha256');
  for (const name of names) {
    hash.update(`${name}\0`);
    hash.update(await readFile(path.join(STAND_IN_SOURCE_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Returns the path of the stand-in binary for the current sources, built
 * with CGO_ENABLED=0 for the host's Linux architecture when missing. Throws
 * with install advice when `go` is not on PATH.
 */
export async function buildStandInBinary(options: { goarch?: string } = {}): Promise<string> {
  if (!(await isOnPath('go'))) {
    throw new Error('the Perses stand-in is a Go program, but `go` was not found on PATH; install Go 1.24 or later and run the tests again');
  }

  const goarch = options.goarch ?? (process.arch === 'arm64' ? 'arm64' : 'amd64');
  const target = path.join(standInCacheDir(), `${await hashSources()}-linux-${goarch}`, 'perses');
  if (existsSync(target)) return target;

  // Build into a private folder and rename it into place, so a parallel
  // build of the same sources never exposes a half-written binary.
  const partial = `${path.dirname(target)}.partial-${process.pid}`;
  await mkdir(partial, { recursive: true });
  try {
    await run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', path.join(partial, 'perses'), '.'], {
      cwd: STAND_IN_SOURCE_DIR,
      env: { ...process.env, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: goarch, GOFLAGS: '-mod=readonly' },
    });
    await rename(partial, path.dirname(target)).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same build first.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return target;
}
