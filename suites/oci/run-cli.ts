// Runs bin/perses-oci.ts in a child process, as a user would, and collects
// its output and exit status.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Time one command gets before it is killed; startup through tsx takes about a second. */
const DEFAULT_CLI_TIMEOUT_MS = 20_000;

export interface CliResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the command outlived its time limit and was killed. */
  timedOut: boolean;
}

export interface RunCliOptions {
  /** Variables added to this process's environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Called on each stdout chunk with everything written so far, e.g. to act once the registry listens. */
  onStdout?: (stdoutSoFar: string) => void;
}

/** Runs `npx tsx bin/perses-oci.ts ...args` from the repository root; SIGTERM ends it after the time limit. */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
  const child = spawn(tsx, ['bin/perses-oci.ts', ...args], { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    options.onStdout?.(stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, options.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr, timedOut };
}
