// Health probes for the cluster's components over loopback.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

import type { StatePaths } from './layout.js';

export interface ProbeResult {
  ok: boolean;
  /** Status code and body start, or the connection error. */
  detail: string;
}

const PROBE_TIMEOUT_MS = 3000;

/**
 * Sends a GET to `url`. HTTPS requests present the admin client certificate
 * and trust the cluster CA; `verifyServer: false` accepts the self-signed
 * serving certificates that the controller manager and scheduler make.
 */
export function probe(url: string, options: { paths: StatePaths; verifyServer?: boolean }): Promise<ProbeResult> {
  const isHttps = url.startsWith('https:');
  const pki = (name: string) => readFileSync(path.join(options.paths.pki, name));
  const tls = isHttps
    ? { ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key'), rejectUnauthorized: options.verifyServer ?? true }
    : {};

  return new Promise((resolve) => {
    const request = (isHttps ? https : http).get(url, { ...tls, timeout: PROBE_TIMEOUT_MS }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const code = response.statusCode ?? 0;
        resolve({ ok: code >= 200 && code < 300, detail: `HTTP ${code}: ${body.trim().slice(0, 200)}` });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no response within ${PROBE_TIMEOUT_MS}ms`)));
    request.on('error', (error) => resolve({ ok: false, detail: error.message }));
  });
}
