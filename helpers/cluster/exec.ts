// Runs host commands for the cluster helper and turns failures into
// errors that name the command, its exit status and the end of its output.

import { spawn } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Bytes written to the command's standard input. */
  input?: string | Buffer;
  /** Resolve with the result instead of throwing when the command fails. */
  allowFailure?: boolean;
  /** Called with each chunk of standard error, for progress output. */
  onStderr?: (chunk: string) => void;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const ERROR_OUTPUT_CHARS = 2000;

/** Runs `command` with `args` to completion and collects its output. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk);
    });
    child.on('error', (error) => reject(new Error(`${command} could not be started: ${error.message}`)));
    child.on('close', (code, signal) => {
      const exitCode = code ?? 128;
      if (exitCode === 0 || options.allowFailure) {
        resolve({ exitCode, stdout, stderr });
        return;
      }
      const status = signal ? `was killed by ${signal}` : `exited with status ${exitCode}`;
      const output = (stderr.trim() || stdout.trim()).slice(-ERROR_OUTPUT_CHARS);
      reject(new Error(`${[command, ...args].join(' ')} ${status}${output ? `:\n${output}` : ''}`));
    });
    // A command that exits without reading its input closes the pipe early;
    // its exit status, not the broken pipe, is the result.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Returns whether `command` is found on PATH. */
export async function isOnPath(command: string): Promise<boolean> {
  const result = await run('sh', ['-c', `command -v "$1"`, 'sh', command], { allowFailure: true });
  return result.exitCode === 0;
}
