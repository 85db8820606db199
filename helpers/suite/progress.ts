/**
 * Returns whether suites print progress lines. They do outside CI, and in CI
 * only with VERBOSE=1, so CI logs stay short unless requested.
 */
export function progressEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VERBOSE === '1' || !env.CI
}

/**
 * Interval between interim progress lines of one suite: often enough to show
 * a long run is moving, rare enough that a suite of a few seconds prints none.
 */
const INTERIM_INTERVAL_MS = 10_000

/**
 * Counts the cells of one suite as they render and prints
 * `✓ <suite>: 56/56 cells rendered in 3.2s` when the last one is done.
 * While cells render it also prints an interim line every 10 s, so a long
 * render shows progress. Prints nothing when disabled (in CI without VERBOSE=1).
 */
export class SuiteProgress {
  private readonly rendered = new Set<string>()
  private startedAt: number | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly suite: string,
    private readonly total: number,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    private readonly enabled: boolean = progressEnabled(),
    private readonly intervalMs: number = INTERIM_INTERVAL_MS,
  ) {}

  /** Starts the clock and the interim lines at the first cell's render. */
  start(): void {
    if (this.startedAt !== undefined) return
    this.startedAt = Date.now()
    if (!this.enabled || this.rendered.size >= this.total) return

    this.timer = setInterval(() => this.write(`… ${this.suite}: ${this.rendered.size}/${this.total} cells rendered, ${this.elapsedS()}s elapsed`), this.intervalMs)
    // The interim lines must not keep a finished test run alive.
    this.timer.unref()
  }

  /** Counts a rendered cell once, however many checks report it. */
  cellRendered(cellName: string): void {
    if (this.rendered.has(cellName)) return
    this.rendered.add(cellName)
    if (this.rendered.size < this.total) return

    this.stop()
    if (this.enabled) this.write(`✓ ${this.suite}: ${this.rendered.size}/${this.total} cells rendered in ${this.elapsedS()}s`)
  }

  /** Stops the interim lines, e.g. when the suite ends before every cell rendered. */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private elapsedS(): string {
    const now = Date.now()
    return ((now - (this.startedAt ?? now)) / 1000).toFixed(1)
  }
}
