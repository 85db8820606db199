// Checks the Helm values that mount an artifact: the ociArtifacts keys the
// chart requires, the provisioning folders, and whether image.reference
// points at the artifact being linted.

import { readFile } from 'node:fs/promises';

import { parse as parseYaml } from 'yaml';

import { formatReference, parseReference, type ImageReference } from './reference.js';

/** Keys under ociArtifacts that the chart's values schema requires to be non-empty strings. */
const REQUIRED_KEYS = ['name', 'mountPath', 'image.reference'] as const;

/** Decoder that throws on invalid UTF-8 instead of inserting U+FFFD. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface OciArtifactsValues {
  mountPath: string | undefined;
  subPath: string | undefined;
  reference: string | undefined;
  /** Problems that make the chart reject the values or mount nothing. */
  problems: string[];
}

/** Returns `bytes` as a string, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Reads a values file, or returns parsed values unchanged. Throws one sentence naming the file when it is unreadable or not a YAML mapping. */
export async function loadValues(values: Record<string, unknown> | string): Promise<Record<string, unknown>> {
  if (typeof values !== 'string') return values;
  const bytes = await readFile(values).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`values file ${values} cannot be read (${error.code ?? error.message}); pass the Helm values file that enables ociArtifacts`);
  });

  const text = decodeUtf8(bytes);
  if (text === undefined) throw new Error(`values file ${values} is not valid UTF-8; save it as UTF-8 or pass the Helm values file that enables ociArtifacts`);
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    // The yaml package ends the first line with ':' before a code excerpt.
    const reason = ((error as Error).message.split('\n')[0] ?? String(error)).replace(/:$/, '');
    throw new Error(`values file ${values} is not valid YAML (${reason}); fix the syntax or pass the Helm values file that enables ociArtifacts`);
  }
  const record = asRecord(parsed);
  if (!record) throw new Error(`values file ${values} is not a YAML mapping; expected Helm values with an ociArtifacts section`);
  return record;
}

/**
 * Reads ociArtifacts from the values. Unset, null and {} turn the feature
 * off, which is an error here because nothing would mount the artifact. Each
 * required key that is missing or empty is one problem.
 */
export function readOciArtifactsValues(values: Record<string, unknown>): OciArtifactsValues {
  const raw = values.ociArtifacts;
  const ociArtifacts = asRecord(raw);
  const mountPath = nonEmptyString(ociArtifacts?.mountPath);
  const subPath = nonEmptyString(ociArtifacts?.subPath);
  const reference = nonEmptyString(asRecord(ociArtifacts?.image)?.reference);

  if (raw === undefined || raw === null || (ociArtifacts && Object.keys(ociArtifacts).length === 0)) {
    return { mountPath, subPath, reference, problems: ['ociArtifacts is off in these values, nothing mounts the artifact; set ociArtifacts.name, ociArtifacts.mountPath and ociArtifacts.image.reference'] };
  }
  if (!ociArtifacts) {
    return { mountPath, subPath, reference, problems: [`ociArtifacts is ${Array.isArray(raw) ? 'a list' : `a ${typeof raw}`}; expected a mapping with name, mountPath and image.reference`] };
  }

  const found: Record<(typeof REQUIRED_KEYS)[number], string | undefined> = { name: nonEmptyString(ociArtifacts.name), mountPath, 'image.reference': reference };
  const problems = REQUIRED_KEYS.filter((key) => found[key] === undefined).map(
    (key) => `ociArtifacts.${key} is missing or empty; the chart rejects values without it, so set it`,
  );
  return { mountPath, subPath, reference, problems };
}

/** The chart's provisioning folders must include mountPath, or Perses never reads the mounted files. */
export function checkProvisioningFolders(values: Record<string, unknown>, mountPath: string | undefined): string[] {
  const provisioning = asRecord(asRecord(values.config)?.provisioning);
  const folders = provisioning?.folders;
  if (mountPath === undefined || !Array.isArray(folders)) return [];
  const normalize = (folder: string): string => folder.replace(/\/+$/, '');
  if (folders.some((folder) => typeof folder === 'string' && normalize(folder) === normalize(mountPath))) return [];
  return [`config.provisioning.folders [${folders.join(', ')}] does not include ociArtifacts.mountPath "${mountPath}"; add it, or Perses never reads the mounted files`];
}

/**
 * Compares ociArtifacts.image.reference with the registry reference that was
 * linted, whose manifest digest is `lintedDigest`. Returns a warning when the
 * values would mount another repository or another manifest. A tag that
 * differs from the linted one is resolved with `resolveDigest` first.
 */
export async function compareImageReference(options: {
  valuesReference: string;
  linted: ImageReference;
  lintedDigest: string;
  resolveDigest: (reference: ImageReference) => Promise<string>;
}): Promise<string | undefined> {
  const { valuesReference, linted, lintedDigest } = options;
  const lintedName = `${linted.registry}/${linted.repository}`;

  let values: ImageReference;
  try {
    values = parseReference(valuesReference);
  } catch (error) {
    return `ociArtifacts.image.reference "${valuesReference}" cannot be compared with the linted artifact ${formatReference(linted)}: ${(error as Error).message}`;
  }
  if (`${values.registry}/${values.repository}` !== lintedName) {
    return `ociArtifacts.image.reference "${valuesReference}" points at ${values.registry}/${values.repository}, not at the linted artifact ${lintedName}; the pod would mount another image, so point the values at ${formatReference({ ...linted, digest: lintedDigest })}`;
  }

  if (values.digest !== undefined) {
    if (values.digest === lintedDigest) return undefined;
    return `ociArtifacts.image.reference "${valuesReference}" pins ${values.digest}, but the linted artifact is ${lintedDigest}; the pod would mount another manifest, so pin ${lintedDigest}`;
  }
  const tag = values.tag ?? 'latest';
  if (linted.digest === undefined && linted.tag === tag) return undefined;

  const tagDigest = await options.resolveDigest({ ...values, tag }).catch((error: Error) => error);
  if (tagDigest === lintedDigest) return undefined;
  const found = tagDigest instanceof Error ? `cannot be resolved (${tagDigest.message})` : `points at ${tagDigest}`;
  return `ociArtifacts.image.reference "${valuesReference}": tag "${tag}" ${found}, but the linted artifact is ${lintedDigest}; point the values at the linted artifact`;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
