/**
 * Returns whether suites print progress lines. They do outside CI, and in CI
 * only with VERBOSE=1, so CI logs stay short unless requested.
 */
export function progressEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VERBOSE === '1' || !env.CI
}

/** Interval between interim progress lines of one suite, only with VERBOSE=1. */
const INTERIM_INTERVAL_MS = 5_000

/**
 * Counts the cells of one suite as they render and prints
 * `✓ <suite>: 56/56 cells rendered in 3.2s` when the last one is done.
 * With VERBOSE=1 it also prints an interim line every 5 s.
 */
export class SuiteProgress {
  private readonly rendered = new Set<string>()
  private startedAt: number | undefined
  private lastLineAt = 0

  constructor(
    private readonly suite: string,
    private readonly total: number,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    private readonly enabled: boolean = progressEnabled(),
    private readonly verbose: boolean = process.env.VERBOSE === '1',
  ) {}

  /** Starts the clock at the first cell's render. */
  start(): void {
    this.startedAt ??= Date.now()
  }

  /** Counts a rendered cell once, however many checks report it. */
  cellRendered(cellName: string): void {
    if (this.rendered.has(cellName)) return
    this.rendered.add(cellName)
    if (!this.enabled) return

    const now = Date.now()
    const elapsedS = ((now - (this.startedAt ?? now)) / 1000).toFixed(1)
    if (this.rendered.size === this.total) {
      this.write(`✓ ${this.suite}: ${this.rendered.size}/${this.total} cells rendered in ${elapsedS}s`)
    } else if (this.verbose && now - this.lastLineAt >= INTERIM_INTERVAL_MS) {
      this.lastLineAt = now
      this.write(`… ${this.suite}: ${this.rendered.size}/${this.total} cells rendered, ${elapsedS}s elapsed`)
    }
  }
}
