// Runs helm against the local cluster for the live suites.

import { stringify } from 'yaml';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { run } from './exec.js';

export interface HelmTarget {
  helmPath: string;
  kubeconfig: string;
  namespace: string;
}

/**
 * Runs `helm <args>` with the given values written to a temporary file,
 * against the target's cluster and namespace, and returns standard output.
 */
export async function runHelm(target: HelmTarget, args: string[], values?: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cluster-helm-'));
  try {
    const valuesArgs: string[] = [];
    if (values) {
      const valuesFile = path.join(dir, 'values.yaml');
      await writeFile(valuesFile, stringify(values));
      valuesArgs.push('--values', valuesFile);
    }
    const result = await run(target.helmPath, [...args, '--namespace', target.namespace, ...valuesArgs], {
      env: { ...process.env, KUBECONFIG: target.kubeconfig, HELM_CACHE_HOME: path.join(dir, 'cache'), HELM_CONFIG_HOME: path.join(dir, 'config'), HELM_DATA_HOME: path.join(dir, 'data') },
    });
    return result.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
