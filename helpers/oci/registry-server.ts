// Starts a throwaway OCI registry for tests and local clusters: Debian's
// docker-registry package (the distribution project's registry, 2.8.2 in
// bookworm) with a generated config, listening on 127.0.0.1 only.

import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import bcrypt from 'bcryptjs';

/** Budget for the registry to answer /v2/ after start; it is usually ready in well under a second. */
const READY_TIMEOUT_MS = 15_000;
const READY_POLL_INTERVAL_MS = 100;
/** Time a stopping registry gets after SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
/**
 * The registry checks the bcrypt hash on every request, so a low cost keeps
 * chunked uploads fast. These registries listen on loopback only and live
 * for one test run or one development session.
 */
const BCRYPT_COST = 5;

export interface StartRegistryOptions {
  /** Require these credentials (htpasswd basic auth); anonymous access when left out. */
  auth?: { username: string; password: string };
  /** Port on 127.0.0.1; a free port is picked when left out. */
  port?: number;
  /** Storage folder; a new temporary folder, removed on stop, when left out. */
  storageDir?: string;
  /** Copy the registry's own log lines to stderr. */
  verbose?: boolean;
}

export interface RunningRegistry {
  /** Host and port for references, e.g. '127.0.0.1:40123'. */
  host: string;
  /** Base URL, e.g. 'http://127.0.0.1:40123'. */
  url: string;
  /** Root of the registry's filesystem storage; blobs live under docker/registry/v2/blobs. */
  storageDir: string;
  /** Settles when the registry process ends, whether stop() ended it or not. */
  exited: Promise<RegistryExit>;
  /** Stops the registry and removes the temporary folders it created. */
  stop(): Promise<void>;
}

export interface RegistryExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The registry's last lines of output, joined by '; '; empty when it printed nothing. */
  lastOutput: string;
}

/**
 * Starts docker-registry on 127.0.0.1 and waits until /v2/ answers.
 * Throws one sentence naming the package when the binary is missing or the
 * requested port is taken, and the registry's last output when it exits or
 * does not become ready in time.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const binary = await findRegistryBinary();
  // Another process on the port would respond to the readiness check in place
  // of the registry, which then fails to bind and exits, so test the bind first.
  if (options.port !== undefined) await assertPortFree(options.port);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'perses-oci-registry-'));
  const storageDir = options.storageDir ?? path.join(workDir, 'storage');
  const port = options.port ?? (await findFreePort());
  const host = `127.0.0.1:${port}`;

  let htpasswdPath: string | undefined;
  if (options.auth) {
    htpasswdPath = path.join(workDir, 'htpasswd');
    const hash = bcrypt.hashSync(options.auth.password, BCRYPT_COST);
    await writeFile(htpasswdPath, `${options.auth.username}:${hash}\n`, { mode: 0o600 });
  }
  const configPath = path.join(workDir, 'config.yml');
  await writeFile(configPath, renderConfig({ host, storageDir, htpasswdPath }));

  const child = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) output.shift();
    if (options.verbose) process.stderr.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // 'close' comes after the output streams end, so lastOutput is complete.
  const exited = new Promise<RegistryExit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, lastOutput: summarizeOutput(output) }));
  });

  const cleanUp = async (): Promise<void> => {
    await stopProcess(child);
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    await waitForReady(`http://${host}/v2/`, child, output);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return { host, url: `http://${host}`, storageDir, exited, stop: cleanUp };
}

/** Throws when something already listens on 127.0.0.1:port. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${error.code ?? error.message})`;
      reject(new Error(`port ${port} on 127.0.0.1 ${reason}; stop the process that uses it or pick another port`));
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Joins the last few non-empty output lines into one line for an error message. */
function summarizeOutput(output: string[]): string {
  const lines = output.join('').split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.slice(-3).join('; ');
}

function renderConfig(settings: { host: string; storageDir: string; htpasswdPath: string | undefined }): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(settings.storageDir)}`,
    '  delete:',
    '    enabled: true',
    // The default purge of old uploads runs at start and is not needed for a throwaway store.
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${settings.host}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  if (settings.htpasswdPath) {
    lines.push('auth:', '  htpasswd:', '    realm: perses-oci', `    path: ${JSON.stringify(settings.htpasswdPath)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Returns the docker-registry binary: PERSES_OCI_REGISTRY_BIN, else the first one on PATH or in /usr/bin. */
export async function findRegistryBinary(): Promise<string> {
  const fromEnv = process.env.PERSES_OCI_REGISTRY_BIN;
  const candidates = fromEnv ? [fromEnv] : [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin'].map((dir) => path.join(dir, 'docker-registry'));

  for (const candidate of candidates) {
    const found = await access(candidate, constants.X_OK).then(() => true, () => false);
    if (found) return candidate;
  }
  throw new Error(
    fromEnv
      ? `registry binary ${fromEnv} (from PERSES_OCI_REGISTRY_BIN) is missing or not executable; fix the path or unset it to use docker-registry from PATH`
      : 'docker-registry was not found on PATH; install the Debian package with `apt-get install docker-registry` (or set PERSES_OCI_REGISTRY_BIN to the binary)',
  );
}

/** Returns a free TCP port on 127.0.0.1. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForReady(url: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastSeen = 'no answer yet';

  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const status = child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
      throw new Error(`docker-registry exited (${status}) before ${url} answered; last output: ${summarizeOutput(output) || '(none)'}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      // 401 means the registry is up and wants credentials.
      if (response.status === 200 || response.status === 401) return;
      lastSeen = `HTTP ${response.status}`;
    } catch (error) {
      lastSeen = ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_INTERVAL_MS));
  }
  throw new Error(`docker-registry did not answer ${url} within ${READY_TIMEOUT_MS} ms (last: ${lastSeen}); last output: ${summarizeOutput(output) || '(none)'}`);
}

/** Sends SIGTERM, then SIGKILL after STOP_TIMEOUT_MS, and waits for the exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  const result = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
