// The one polling helper of the cluster code.

export interface WaitOptions {
  /** Awaited condition, worded to follow "waiting for". */
  condition: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Resolve with false on timeout instead of throwing. */
  throwOnTimeout?: boolean;
  /** Describes the last state seen, for the timeout message. */
  describeLast?: () => string;
}

// One second keeps polling cheap against the API server while still
// noticing a ready component within about a second.
const DEFAULT_INTERVAL_MS = 1000;

/**
 * Calls `check` until it returns true or the time runs out. An error that
 * `check` throws ends the wait at once, so a check can give up early on a
 * state that will not recover.
 */
export async function waitFor(check: () => Promise<boolean>, options: WaitOptions): Promise<boolean> {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const deadline = Date.now() + options.timeoutMs;

  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }

  if (options.throwOnTimeout === false) return false;
  const last = options.describeLast?.();
  throw new Error(`timed out after ${options.timeoutMs / 1000}s waiting for ${options.condition}${last ? `; last seen: ${last}` : ''}`);
}
