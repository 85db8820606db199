// Starts the cluster's programs as background processes that outlive the
// helper, and finds and stops them again from their pid files.

import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { StatePaths } from './layout.js';
import { waitFor } from './wait.js';

interface PidRecord {
  pid: number;
  executable: string;
}

const STOP_GRACE_MS = 10_000;

/**
 * Starts `executable` detached from the helper, with its output appended to
 * logs/<name>.log, and records its pid in pids/<name>.json.
 */
export async function startDaemon(paths: StatePaths, name: string, executable: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  await mkdir(paths.logs, { recursive: true });
  await mkdir(paths.pids, { recursive: true });
  const logFd = openSync(path.join(paths.logs, `${name}.log`), 'a');

  try {
    const child = spawn(executable, args, { detached: true, env: env ?? process.env, stdio: ['ignore', logFd, logFd] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`${name} could not be started from ${executable}: ${error.message}`)));
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    const record: PidRecord = { pid, executable };
    await writeFile(path.join(paths.pids, `${name}.json`), JSON.stringify(record));
    return pid;
  } finally {
    closeSync(logFd);
  }
}

/** Returns whether the process recorded for `name` is still running its executable. */
export async function isDaemonRunning(paths: StatePaths, name: string): Promise<boolean> {
  const record = await readPidRecord(paths, name);
  return record !== undefined && (await executableOf(record.pid)) === record.executable;
}

/** Returns the last `lineCount` lines of a daemon's log, for error messages. */
export async function tailLog(paths: StatePaths, name: string, lineCount = 15): Promise<string> {
  const text = await readFile(path.join(paths.logs, `${name}.log`), 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lineCount).join('\n');
}

/**
 * Stops the daemons that have a pid file, `first` in its order and then
 * the rest, or only `first` when `onlyFirst` is set. Each gets SIGTERM,
 * then SIGKILL after a grace period. A pid whose process now runs another
 * executable was reused by the system and is left alone. Returns the time
 * each stop took, by daemon name.
 */
export async function stopDaemons(paths: StatePaths, first: readonly string[], options: { onlyFirst?: boolean } = {}): Promise<Map<string, number>> {
  const stopped = new Map<string, number>();
  if (!existsSync(paths.pids)) return stopped;

  const recorded = (await readdir(paths.pids)).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -'.json'.length));
  const rest = options.onlyFirst ? [] : recorded.filter((name) => !first.includes(name));
  for (const name of [...first.filter((name) => recorded.includes(name)), ...rest]) {
    const record = await readPidRecord(paths, name);
    if (record && (await executableOf(record.pid)) === record.executable) {
      const startedMs = Date.now();
      await stopProcess(record);
      stopped.set(name, Date.now() - startedMs);
    }
    await rm(path.join(paths.pids, `${name}.json`), { force: true });
  }
  return stopped;
}

/**
 * Stops every process that runs an executable named `name` from below
 * `dir`, such as the containerd shims, which containerd starts and detaches.
 * Returns how many there were.
 */
export async function stopProcessesNamed(dir: string, name: string): Promise<number> {
  const found: PidRecord[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const executable = await executableOf(pid);
    if (executable?.startsWith(`${dir}/`) && path.basename(executable) === name) found.push({ pid, executable });
  }
  await Promise.all(found.map((record) => stopProcess(record)));
  return found.length;
}

async function stopProcess(record: PidRecord): Promise<void> {
  signal(record.pid, 'SIGTERM');
  const exited = await waitFor(async () => (await executableOf(record.pid)) !== record.executable, {
    condition: `process ${record.pid} (${path.basename(record.executable)}) to exit`,
    timeoutMs: STOP_GRACE_MS,
    intervalMs: 100,
    throwOnTimeout: false,
  });
  if (!exited) signal(record.pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function readPidRecord(paths: StatePaths, name: string): Promise<PidRecord | undefined> {
  const text = await readFile(path.join(paths.pids, `${name}.json`), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as PidRecord);
}

/** Returns the executable path of a running process, without the " (deleted)" mark of a replaced binary. */
async function executableOf(pid: number): Promise<string | undefined> {
  const target = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
  return target?.replace(/ \(deleted\)$/, '');
}
