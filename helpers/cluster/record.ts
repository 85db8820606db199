// The record that `up` writes into the state folder: what runs, which host
// changes to undo, and how long each step took. `down`, `status` and the
// live suites read it.

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Binaries } from './build.js';
import type { StatePaths } from './layout.js';
import type { StepTiming } from './report.js';

export interface ClusterRecord {
  versions: Record<string, string>;
  binaries?: Binaries;
  /** Fixed host paths that existed before `up`; the others are removed by `down`. */
  preexistingHostPaths: string[];
  /** net.ipv4.ip_forward before `up`, restored by `down`. */
  ipForwardBefore: string;
  startedAt: string;
  /** Set once every step of `up` passed. */
  readyAt?: string;
  kubeconfig: string;
  timings: StepTiming[];
}

export async function readRecord(paths: StatePaths): Promise<ClusterRecord | undefined> {
  if (!existsSync(paths.record)) return undefined;
  return JSON.parse(await readFile(paths.record, 'utf8')) as ClusterRecord;
}

export async function writeRecord(paths: StatePaths, record: ClusterRecord): Promise<void> {
  await mkdir(path.dirname(paths.record), { recursive: true });
  await writeFile(paths.record, `${JSON.stringify(record, null, 2)}\n`);
}
