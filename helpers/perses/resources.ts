// Builders for the Perses resources the suites provision, and the digest
// that compares a dashboard's spec in a file with the one the API returns.

import { createHash } from 'node:crypto';

import { isPlainObject } from '../render/values.js';
import type { PersesResource } from './client.js';

export function projectResource(name: string): PersesResource {
  return { kind: 'Project', metadata: { name }, spec: { display: { name } } };
}

/** Builds a Prometheus datasource. Its URL is data only and is never contacted. */
export function datasourceResource(project: string, name: string, options: { global?: boolean; url?: string } = {}): PersesResource {
  const spec = { default: false, plugin: { kind: 'PrometheusDatasource', spec: { directUrl: options.url ?? 'http://prometheus.invalid:9090' } } };
  return options.global
    ? { kind: 'GlobalDatasource', metadata: { name }, spec }
    : { kind: 'Datasource', metadata: { name, project }, spec };
}

/**
 * Builds a dashboard without panels. `revision` goes into the display description,
 * so two revisions of one dashboard differ in their spec digest. Every
 * field Perses fills in by default is set, so a stored spec equals this one.
 */
export function dashboardResource(project: string, name: string, revision: string): PersesResource {
  return {
    kind: 'Dashboard',
    metadata: { name, project },
    spec: { display: { name: `Dashboard ${name}`, description: `revision ${revision}` }, duration: '1h', panels: {}, layouts: [] },
  };
}

/** Serializes one resource, or a list of them, for a provisioning file. */
export function resourceFileContent(resources: PersesResource | PersesResource[]): string {
  return `${JSON.stringify(resources, null, 2)}\n`;
}

/**
 * Returns sha256 of the canonical JSON (sorted keys) of `spec`. With `shape`,
 * only the keys present in `shape` are kept, at every depth, so fields
 * that a server adds as defaults do not change the digest.
 */
export function specDigest(spec: unknown, shape?: unknown): string {
  const projected = shape === undefined ? spec : projectOnto(spec, shape);
  return `sha256:${createHash('sha256').update(canonicalJson(projected)).digest('hex')}`;
}

function projectOnto(value: unknown, shape: unknown): unknown {
  if (Array.isArray(shape) && Array.isArray(value)) {
    return value.map((item, index) => (index < shape.length ? projectOnto(item, shape[index]) : item));
  }
  if (isPlainObject(shape) && isPlainObject(value)) {
    return Object.fromEntries(Object.keys(shape).filter((key) => key in value).map((key) => [key, projectOnto(value[key], shape[key])]));
  }
  return value;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
