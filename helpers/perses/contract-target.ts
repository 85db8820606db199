// Servers that the API contract tests run against. The stand-in always
// runs. PERSES_BIN names a real Perses binary to start, and PERSES_URL a
// running Perses whose provisioning folder is PERSES_PROVISIONING_DIR.

import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';

import { parseDurationMs } from './duration.js';
import { httpTransport, PersesClient } from './client.js';
import { startLocalPerses, type LocalPerses } from './local-server.js';
export { makeLowerCaseTempDir } from './local-server.js';
import { buildStandInBinary } from './stand-in-binary.js';

/** Interval of the processes the tests start: short, so a test waits a few seconds per pass. */
export const LOCAL_PROVISIONING_INTERVAL = '1s';
/** Assumed interval of a server given by PERSES_URL when PERSES_PROVISIONING_INTERVAL is unset (the chart's default is 10m, too slow here). */
const DEFAULT_REMOTE_INTERVAL = '10s';

export interface ContractTargetSpec {
  name: 'stand-in' | 'PERSES_BIN' | 'PERSES_URL';
  /** Reason to skip this target, or undefined when it runs. */
  skipReason?: string;
}

export interface ContractTarget {
  name: string;
  client: PersesClient;
  provisioningDir: string;
  intervalMs: number;
  /** Set for a process the tests started, which they may restart. */
  local?: LocalPerses;
  dispose(): Promise<void>;
}

/** Lists the targets with the reason each optional one is skipped. */
export function contractTargetSpecs(): ContractTargetSpec[] {
  const url = process.env.PERSES_URL;
  const provisioningDir = process.env.PERSES_PROVISIONING_DIR;
  return [
    { name: 'stand-in' },
    {
      name: 'PERSES_BIN',
      ...(process.env.PERSES_BIN ? {} : { skipReason: 'set PERSES_BIN to a Perses v0.54.0 binary to run the contract against it' }),
    },
    {
      name: 'PERSES_URL',
      ...(url && provisioningDir
        ? {}
        : { skipReason: url ? 'PERSES_URL is set but PERSES_PROVISIONING_DIR is not; set it to the folder that server provisions from' : 'set PERSES_URL and PERSES_PROVISIONING_DIR to run the contract against a running Perses' }),
    },
  ];
}

/** Starts (or connects to) one target. */
export async function openContractTarget(spec: ContractTargetSpec): Promise<ContractTarget> {
  if (spec.name === 'PERSES_URL') {
    const interval = process.env.PERSES_PROVISIONING_INTERVAL ?? DEFAULT_REMOTE_INTERVAL;
    // A running server keeps what the tests provision, so each run writes
    // into its own subfolder and removes only that.
    const provisioningDir = await mkdtemp(path.join(process.env.PERSES_PROVISIONING_DIR as string, 'contract-'));
    return {
      name: spec.name,
      client: new PersesClient(httpTransport(process.env.PERSES_URL as string)),
      provisioningDir,
      intervalMs: parseDurationMs(interval),
      dispose: () => rm(provisioningDir, { recursive: true, force: true }),
    };
  }

  const binary = spec.name === 'PERSES_BIN' ? (process.env.PERSES_BIN as string) : await buildStandInBinary();
  const local = await startLocalPerses({ binary, interval: LOCAL_PROVISIONING_INTERVAL });
  return {
    name: spec.name,
    client: local.client,
    provisioningDir: local.provisioningDir,
    intervalMs: parseDurationMs(LOCAL_PROVISIONING_INTERVAL),
    local,
    dispose: () => local.dispose(),
  };
}

