// The one wait helper of the live suites: named default budgets, an
// announced budget, early stop on states that will not recover, and a
// timeout message with the last state seen. Polling itself is the
// cluster helper's waitFor.

import { formatDuration } from '../cluster/report.js';
import { waitFor } from '../cluster/wait.js';

/**
 * Default budgets, in milliseconds, for a slow CI machine pulling from a
 * registry on loopback. LIVE_TIMEOUT_MS replaces every cluster budget at
 * once, so CI can set its own.
 */
export const WAIT_BUDGETS_MS = {
  /** A local binary serves its health endpoint within a second; the rest is slack for a busy machine. */
  processStart: 15_000,
  /** Pod replacement: image and image volume pulls from a loopback registry, then container start. */
  rollout: 180_000,
  /** Provisioning runs at process start, so content shows soon after the pod is Ready; the proxy may need a retry first. */
  apiVisible: 60_000,
  /** The kubelet reports a pull failure after its first failed pull, within seconds. */
  pullFailure: 120_000,
  /** How long a stuck pod is watched for healing on its own before that is reported as a finding. */
  selfHeal: 180_000,
  /** Namespace deletion waits for pod termination with the default 30s grace period. */
  namespaceDeletion: 120_000,
  /** A throwaway preflight pod that mounts a tiny image volume. */
  preflight: 120_000,
} as const;

export type WaitBudget = keyof typeof WAIT_BUDGETS_MS;

/** One second: cheap for the API server and for a local process, and close enough for timings. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

/** Returns the budget in milliseconds, with LIVE_TIMEOUT_MS applied to the cluster budgets. */
export function budgetMs(budget: WaitBudget | number): number {
  if (typeof budget === 'number') return budget;
  const override = Number(process.env.LIVE_TIMEOUT_MS);
  return budget !== 'processStart' && override > 0 ? override : WAIT_BUDGETS_MS[budget];
}

/** Thrown by a check to end the wait at once, for a state that will not recover. */
export class UnrecoverableStateError extends Error {
  override name = 'UnrecoverableStateError';
}

export interface WaitUntilOptions {
  /** Description of the awaited state, as it reads after "waiting for". */
  what: string;
  /** A named default budget or milliseconds. */
  budget: WaitBudget | number;
  intervalMs?: number;
  /** Prints the announcement and, when verbose, each poll's state. */
  log?: (line: string) => void;
  verbose?: boolean;
}

/**
 * Polls `check` until it returns a value other than undefined, and returns
 * it. `check` may return `{ pending: state }` to describe what it saw. An
 * UnrecoverableStateError from `check` ends the wait at once. Any other
 * error counts as a failed poll, such as a proxy or server still starting,
 * and is shown as the last state on timeout. The timeout message names
 * the setting that raises the budget.
 */
export async function waitUntil<T>(check: () => Promise<T | { pending: string }>, options: WaitUntilOptions): Promise<T> {
  const timeoutMs = budgetMs(options.budget);
  const startedMs = Date.now();
  let last = 'nothing yet';
  let result: T | undefined;
  options.log?.(`  waiting up to ${formatDuration(timeoutMs)} for ${options.what}`);

  try {
    await waitFor(
      async () => {
        let outcome: T | { pending: string };
        try {
          outcome = await check();
        } catch (error) {
          if (error instanceof UnrecoverableStateError) throw error;
          last = `error: ${(error as Error).message}`;
          return false;
        }
        if (isPending(outcome)) {
          last = outcome.pending;
          if (options.verbose) options.log?.(`    ${formatDuration(Date.now() - startedMs)}: ${last}`);
          return false;
        }
        result = outcome;
        return true;
      },
      { condition: options.what, timeoutMs, intervalMs: options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS, describeLast: () => last },
    );
  } catch (error) {
    if (error instanceof UnrecoverableStateError) {
      throw new UnrecoverableStateError(`stopped waiting for ${options.what} after ${formatDuration(Date.now() - startedMs)}: ${error.message}`);
    }
    const setting = typeof options.budget === 'string' && options.budget !== 'processStart' ? 'raise LIVE_TIMEOUT_MS' : 'raise the budget';
    throw new Error(`${(error as Error).message}; ${setting} or read the diagnostics below`);
  }
  return result as T;
}

function isPending(value: unknown): value is { pending: string } {
  return typeof value === 'object' && value !== null && 'pending' in value && Object.keys(value).length === 1;
}
