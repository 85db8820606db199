// Runs a Perses binary (the stand-in, or a real Perses from PERSES_BIN) as
// a local process on 127.0.0.1 with a generated configuration file.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { stringify } from 'yaml';

import { findFreePort, stopProcess } from '../oci/registry-server.js';
import { UnrecoverableStateError, waitUntil } from '../wait/wait.js';
import { httpTransport, PersesClient } from './client.js';

const OUTPUT_LINES_KEPT = 200;

export interface LocalPersesOptions {
  binary: string;
  /** Provisioning interval in the Perses duration format, e.g. '1s'. */
  interval: string;
  /** File database extension; Perses' default is yaml. */
  extension?: 'json' | 'yaml';
  /** Database folder to reuse across restarts; a new one under the work folder when left out. */
  databaseDir?: string;
}

export interface LocalPerses {
  url: string;
  client: PersesClient;
  provisioningDir: string;
  databaseDir: string;
  /** The process output so far, for failure messages. */
  output(): string;
  /** Stops the process; the folders stay until `dispose`. */
  stop(): Promise<void>;
  /** Stops the process and starts it again on the same folders and port. */
  restart(options?: { databaseDir?: string }): Promise<void>;
  /** Stops the process and removes the work folder. */
  dispose(): Promise<void>;
}

/** Starts the binary with a fresh provisioning folder and waits until /api/v1/health returns 200. */
export async function startLocalPerses(options: LocalPersesOptions): Promise<LocalPerses> {
  const workDir = await makeLowerCaseTempDir('perses-local-');
  const provisioningDir = path.join(workDir, 'provisioning');
  await mkdir(provisioningDir, { recursive: true });
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const client = new PersesClient(httpTransport(url));
  const output: string[] = [];
  let databaseDir = options.databaseDir ?? path.join(workDir, 'database');
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const configPath = path.join(workDir, 'config.yaml');
    const config = {
      database: { file: { folder: databaseDir, extension: options.extension ?? 'yaml' } },
      provisioning: { folders: [provisioningDir], interval: options.interval },
    };
    await writeFile(configPath, stringify(config));

    const process_ = spawn(options.binary, [`--config=${configPath}`, `--web.listen-address=127.0.0.1:${port}`], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = process_;
    const collect = (chunk: Buffer): void => {
      output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (output.length > OUTPUT_LINES_KEPT) output.splice(0, output.length - OUTPUT_LINES_KEPT);
    };
    process_.stdout?.on('data', collect);
    process_.stderr?.on('data', collect);

    await waitUntil(
      async () => {
        if (process_.exitCode !== null) throw new UnrecoverableStateError(`${options.binary} exited with status ${process_.exitCode}; its output:\n${output.join('\n')}`);
        const response = await client.get('/api/v1/health');
        return response.status === 200 ? true : { pending: `HTTP ${response.status}` };
      },
      { what: `${path.basename(options.binary)} to answer ${url}/api/v1/health`, budget: 'processStart', intervalMs: 100 },
    );
  };

  const stop = async (): Promise<void> => {
    if (child) await stopProcess(child);
    child = undefined;
  };

  await start().catch(async (error: unknown) => {
    await stop();
    await rm(workDir, { recursive: true, force: true });
    throw error;
  });

  return {
    url,
    client,
    provisioningDir,
    get databaseDir() {
      return databaseDir;
    },
    output: () => output.join('\n'),
    stop,
    async restart(restartOptions = {}) {
      await stop();
      if (restartOptions.databaseDir) databaseDir = restartOptions.databaseDir;
      await start();
    },
    async dispose() {
      await stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates a temporary folder whose name has no capitals. Perses lower-cases
 * the whole database path when it lists resources of a case-insensitive
 * file database, so a database folder with capitals lists nothing.
 * NOTE: a TMPDIR with capitals still breaks listing.
 */
export async function makeLowerCaseTempDir(prefix: string): Promise<string> {
  const dir = path.join(os.tmpdir(), `${prefix}${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: false });
  return dir;
}
