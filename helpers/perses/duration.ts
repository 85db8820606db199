// Perses configuration durations ("30s", "10m", "1h30m") in milliseconds.

const UNIT_MS: Record<string, number> = {
  y: 365 * 24 * 3_600_000,
  w: 7 * 24 * 3_600_000,
  d: 24 * 3_600_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

const DURATION_PATTERN = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses a duration of units from years down to milliseconds, largest first, each at most once. */
export function parseDurationMs(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (text === '' || !match) throw new Error(`invalid duration "${text}"; expected a form such as 30s, 10m or 1h30m`);

  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  return units.reduce((total, unit, index) => total + Number(match[index + 1] ?? 0) * (UNIT_MS[unit] ?? 0), 0);
}
