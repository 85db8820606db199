// Errors of the registry client. Each carries a code that tests and callers
// can branch on, and a message that names the registry, the repository or
// blob, what was expected, and what to try.

export type RegistryErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'unauthorized'
  | 'denied'
  | 'name-unknown'
  | 'manifest-unknown'
  | 'blob-unknown'
  | 'digest-mismatch'
  | 'insecure'
  | 'protocol';

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number | undefined;

  constructor(code: RegistryErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.status = options.status;
  }
}

/** Names the settings that carry credentials, for messages about 401 and 403. */
export const CREDENTIALS_HINT =
  'set the username and password for this registry (the --username and --password options, or PERSES_OCI_USERNAME and PERSES_OCI_PASSWORD)';

/** Hint for a registry that does not answer. */
export const START_REGISTRY_HINT =
  'start the registry (for a local one: `npx tsx bin/perses-oci.ts registry --port 5000`) or fix the host and port';

/**
 * Summarizes the `errors` array of a distribution API error body, e.g.
 * "MANIFEST_UNKNOWN: manifest unknown". Returns the HTTP status text when the
 * body is not in that format.
 */
export async function describeErrorBody(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const parts = (body.errors ?? []).map((error) => [error.code, error.message].filter(Boolean).join(': '));
    if (parts.length > 0) return parts.join('; ');
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `${response.status} ${response.statusText}`.trim();
}

/**
 * Converts a fetch failure (connection refused, reset, DNS, timeout) to a
 * RegistryError naming the URL without its query, because upload URLs carry
 * the registry's opaque `_state` token there.
 */
export function describeFetchFailure(error: unknown, url: string, timeoutMs: number): RegistryError {
  if (error instanceof RegistryError) return error;

  const shownUrl = withoutQuery(url);
  const reason = describeFailureReason(error, timeoutMs);
  if (isTimeout(error)) {
    return new RegistryError('timeout', `request to ${shownUrl} ${reason}; check that the registry is healthy or raise requestTimeoutMs`, { cause: error });
  }
  return new RegistryError('unreachable', `registry at ${shownUrl} is not reachable (${reason}); ${START_REGISTRY_HINT}`, { cause: error });
}

/** Returns the short reason of a fetch failure: the socket error code, or "timed out after N ms". */
export function describeFailureReason(error: unknown, timeoutMs: number): string {
  if (isTimeout(error)) return `timed out after ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string; cause?: { code?: string } } }).cause;
  return cause?.code ?? cause?.cause?.code ?? cause?.message ?? (error as Error).message;
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split('?')[0] ?? url;
  }
}
