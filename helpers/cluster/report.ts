// Progress output for the cluster helper: one line per step, closed with
// ✓ or ✗ and the time the step took.

export interface StepTiming {
  step: string;
  durationMs: number;
  ok: boolean;
}

export interface Reporter {
  info(message: string): void;
  /** Printed only with CLUSTER_VERBOSE=1 or --verbose. */
  detail(message: string): void;
  step<T>(name: string, work: () => Promise<T>): Promise<T>;
  readonly timings: StepTiming[];
}

/** Wraps an error so that its message starts with the step it came from. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    cause: Error,
  ) {
    super(`step "${step}" failed: ${cause.message}`, { cause });
  }
}

export function formatDuration(durationMs: number): string {
  if (durationMs < 1000) return `${durationMs}ms`;
  const seconds = durationMs / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Creates a reporter that writes to `write`, standard output by default. */
export function createReporter(options: { verbose?: boolean; write?: (line: string) => void } = {}): Reporter {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const verbose = options.verbose ?? process.env.CLUSTER_VERBOSE === '1';
  const timings: StepTiming[] = [];

  return {
    timings,
    info: (message) => write(message),
    detail: (message) => {
      if (verbose) write(`  ${message}`);
    },
    async step(name, work) {
      const startedMs = Date.now();
      write(`• ${name}`);
      try {
        const result = await work();
        const durationMs = Date.now() - startedMs;
        timings.push({ step: name, durationMs, ok: true });
        write(`✓ ${name} (${formatDuration(durationMs)})`);
        return result;
      } catch (error) {
        const durationMs = Date.now() - startedMs;
        timings.push({ step: name, durationMs, ok: false });
        write(`✗ ${name} (${formatDuration(durationMs)})`);
        throw error instanceof StepError ? error : new StepError(name, error as Error);
      }
    },
  };
}
