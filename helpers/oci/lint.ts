// Lints an OCI artifact against the Helm values that mount it: the folder
// the chart mounts (ociArtifacts.subPath) must exist in the image, and every
// file Perses provisioning would read there must load.

import { stat } from 'node:fs/promises';
import path from 'node:path';

import { compareWalkOrder } from './build.js';
import type { BuiltImage } from './image.js';
import { listImageFiles } from './image-files.js';
import { isOciLayout, readOciLayout } from './layout.js';
import { asRecord, checkProvisioningFolders, compareImageReference, decodeUtf8, loadValues, readOciArtifactsValues } from './lint-values.js';
import { PROVISIONED_EXTENSIONS, parseResourceFile, type PersesResource } from './perses-resources.js';
import { parseReference, type ImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';

export type FileStatus = 'ok' | 'error' | 'ignored';

const STATUS_MARKS: Record<FileStatus, string> = { ok: '✓', error: '✗', ignored: '-' };

export interface FileVerdict {
  /** Path inside the mounted folder, as Perses sees it under mountPath. */
  path: string;
  status: FileStatus;
  /** Errors for 'error', the reason for 'ignored', empty for 'ok'. */
  messages: string[];
  resourceCount: number;
}

export interface LintReport {
  /** Where the artifact came from: a layout folder, a reference or 'in-memory image'. */
  artifact: string;
  mountPath: string | undefined;
  subPath: string | undefined;
  /** Problems with the values or the mounted folder as a whole. */
  problems: string[];
  /** Findings that do not fail the lint, such as values that point at another image. */
  warnings: string[];
  files: FileVerdict[];
  /** True when there are no problems and no file has status 'error'. */
  ok: boolean;
}

export interface LintArtifactOptions {
  /** An image, an OCI layout folder, or a registry reference such as 127.0.0.1:5000/perses/manifests:v1. */
  artifact: BuiltImage | string;
  /** Helm values as a parsed object or a YAML file path. */
  values: Record<string, unknown> | string;
  /** Tag to read from an OCI layout with more than one image. */
  tag?: string;
  /** Projects that already exist in Perses, so resources may refer to them without a Project file. */
  existingProjects?: string[];
  username?: string;
  password?: string;
}

/**
 * Lints the artifact as the chart would mount it. Each file gets ok, error or
 * ignored. Problems with the values or subPath are collected in `problems`.
 */
export async function lintArtifact(options: LintArtifactOptions): Promise<LintReport> {
  const values = await loadValues(options.values);
  const { image, source, reference } = await loadArtifact(options);
  const problems: string[] = [];
  const warnings: string[] = [];

  const { mountPath, subPath, reference: valuesReference, problems: valuesProblems } = readOciArtifactsValues(values);
  problems.push(...valuesProblems);
  problems.push(...checkProvisioningFolders(values, mountPath));
  if (reference && valuesReference) {
    const client = registryClientFor(reference, options);
    const warning = await compareImageReference({ valuesReference, linted: reference, lintedDigest: image.manifestDigest, resolveDigest: (ref) => client.resolveDigest(ref) });
    if (warning) warnings.push(warning);
  }

  const tree = listImageFiles(image);
  const root = subPath === undefined ? '' : path.posix.normalize(subPath).replace(/^\/+|\/+$/g, '');
  if (root !== '' && tree.get(root)?.type !== 'directory' && ![...tree.keys()].some((entryPath) => entryPath.startsWith(`${root}/`))) {
    const topLevel = [...tree.values()].filter((entry) => entry.type === 'directory' && !entry.path.includes('/')).map((entry) => entry.path).sort();
    problems.push(`ociArtifacts.subPath "${subPath}" does not exist in ${source}; folders at the image root: ${topLevel.join(', ') || 'none'}`);
    return { artifact: source, mountPath, subPath, problems, warnings, files: [], ok: false };
  }

  const mounted = [...tree.values()]
    .filter((entry) => entry.type !== 'directory' && (root === '' || entry.path.startsWith(`${root}/`)))
    .map((entry) => ({ entry, relativePath: root === '' ? entry.path : entry.path.slice(root.length + 1) }))
    .sort((a, b) => compareWalkOrder(a.relativePath, b.relativePath));
  if (mounted.length === 0) problems.push(`the mounted folder "${root || '/'}" of ${source} has no files; expected Perses resources`);

  const files = lintResourceFiles(
    mounted.map(({ entry, relativePath }) => ({ path: relativePath, content: entry.content, isSymlink: entry.type === 'symlink' })),
    { existingProjects: options.existingProjects ?? [] },
  );
  const ok = problems.length === 0 && files.every((file) => file.status !== 'error');
  return { artifact: source, mountPath, subPath, problems, warnings, files, ok };
}

/**
 * Lints files in provisioning order. Cross-file rules: a project-scoped
 * resource's project must be in the files or in `existingProjects`; kind,
 * project and name (lower-cased) must be unique; at most one GlobalDatasource
 * per plugin kind may set spec.default, and the first one read wins.
 */
export function lintResourceFiles(
  files: Array<{ path: string; content: Buffer; isSymlink?: boolean }>,
  options: { existingProjects: string[] },
): FileVerdict[] {
  const verdicts: FileVerdict[] = [];
  const parsed: Array<{ verdict: FileVerdict; resources: PersesResource[] }> = [];

  for (const file of files) {
    const extension = path.posix.extname(file.path).toLowerCase();
    if (file.isSymlink) {
      verdicts.push({ path: file.path, status: 'ignored', messages: ['symlink; this lint does not follow links, so check its target separately'], resourceCount: 0 });
    } else if (!PROVISIONED_EXTENSIONS.includes(extension)) {
      verdicts.push({ path: file.path, status: 'ignored', messages: [`Perses provisioning reads only ${PROVISIONED_EXTENSIONS.join(', ')} files`], resourceCount: 0 });
    } else {
      const text = decodeUtf8(file.content);
      const { resources, errors } = text === undefined ? { resources: [], errors: ['file is not valid UTF-8; save it as UTF-8'] } : parseResourceFile(file.path, text);
      const verdict: FileVerdict = { path: file.path, status: 'ok', messages: errors, resourceCount: resources.length };
      verdicts.push(verdict);
      parsed.push({ verdict, resources });
    }
  }

  const projects = new Set(options.existingProjects.map((project) => project.toLowerCase()));
  for (const { resources } of parsed) {
    for (const resource of resources) if (resource.kind === 'Project') projects.add(resource.name);
  }

  const firstByKey = new Map<string, string>();
  const defaultByPlugin = new Map<string, string>();
  for (const { verdict, resources } of parsed) {
    for (const resource of resources) {
      const id = resource.project ? `${resource.kind} ${resource.project}/${resource.name}` : `${resource.kind} ${resource.name}`;

      if (resource.project !== undefined && !projects.has(resource.project)) {
        verdict.messages.push(`${id} needs project "${resource.project}", which is not in the artifact; add a Project resource named "${resource.project}", or pass --existing-project ${resource.project} if it already exists in Perses`);
      }

      const key = `${resource.kind}|${resource.project ?? ''}|${resource.name}`;
      const first = firstByKey.get(key);
      if (first) verdict.messages.push(`${id} is also defined in ${first}; names are compared lower-cased, so rename one`);
      else firstByKey.set(key, verdict.path);

      const pluginKind = defaultPluginKind(resource);
      if (pluginKind) {
        const firstDefault = defaultByPlugin.get(pluginKind);
        if (firstDefault) verdict.messages.push(`${id} is a second default ${pluginKind} GlobalDatasource after ${firstDefault}; Perses allows one default per plugin kind, so set spec.default to false on one`);
        else defaultByPlugin.set(pluginKind, `${id} (${verdict.path})`);
      }
    }
  }

  for (const { verdict } of parsed) if (verdict.messages.length > 0) verdict.status = 'error';
  return verdicts;
}

/** Formats a report as one line per file plus the overall problems, for the command line. */
export function formatLintReport(report: LintReport): string {
  const lines = [`artifact: ${report.artifact}`, `mounted folder: ${report.subPath ?? '(image root)'} at ${report.mountPath ?? '(mountPath not set)'}`];
  for (const problem of report.problems) lines.push(`✗ ${problem}`);
  for (const warning of report.warnings) lines.push(`! warning: ${warning}`);
  for (const file of report.files) {
    const mark = STATUS_MARKS[file.status];
    const detail = file.status === 'ok' ? `${file.resourceCount} resource${file.resourceCount === 1 ? '' : 's'}` : '';
    lines.push(`${mark} ${file.status.padEnd(7)} ${file.path}${detail ? ` (${detail})` : ''}`);
    for (const message of file.messages) lines.push(`    ${message}`);
  }
  const counts = (['ok', 'error', 'ignored'] as const).map((status) => `${report.files.filter((file) => file.status === status).length} ${status}`);
  const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
  lines.push(`${report.ok ? '✓' : '✗'} ${counts.join(', ')}, ${plural(report.problems.length, 'other problem')}, ${plural(report.warnings.length, 'warning')}`);
  return lines.join('\n');
}

function defaultPluginKind(resource: PersesResource): string | undefined {
  if (resource.kind !== 'GlobalDatasource') return undefined;
  const spec = asRecord(resource.raw.spec);
  if (spec?.default !== true) return undefined;
  const plugin = asRecord(spec.plugin);
  return typeof plugin?.kind === 'string' ? plugin.kind : '(no plugin kind)';
}

async function loadArtifact(options: LintArtifactOptions): Promise<{ image: BuiltImage; source: string; reference?: ImageReference }> {
  if (typeof options.artifact !== 'string') return { image: options.artifact, source: `image ${options.artifact.manifestDigest}` };
  const artifact = options.artifact;

  const artifactStat = await stat(artifact).catch(() => undefined);
  if (artifactStat?.isDirectory()) {
    if (!(await isOciLayout(artifact))) {
      throw new Error(`${artifact} is a folder but not an OCI layout (no oci-layout file); build one with \`perses-oci build <dir> --layout ${artifact}\``);
    }
    return { image: await readOciLayout(artifact, options.tag), source: `OCI layout ${artifact}` };
  }
  if (artifactStat) throw new Error(`${artifact} is a file, not a folder; pass an OCI layout folder or a registry reference such as ${EXAMPLE_REFERENCE}`);
  if (looksLikePath(artifact)) {
    throw new Error(`${artifact}: no such folder; pass an existing OCI layout folder (build one with \`perses-oci build <dir> --layout ${artifact}\`) or a registry reference such as ${EXAMPLE_REFERENCE}`);
  }

  const reference = parseReference(artifact);
  return { image: await registryClientFor(reference, options).pullImage(reference), source: artifact, reference };
}

const EXAMPLE_REFERENCE = '127.0.0.1:5000/perses/manifests:v1';

function registryClientFor(reference: ImageReference, options: LintArtifactOptions): RegistryClient {
  return new RegistryClient({ registry: reference.registry, username: options.username, password: options.password });
}

/**
 * Returns true when `text` reads as a local path rather than a registry
 * reference. A path starts with ./, ../, / or ~, or its first component is
 * not host-like. Host-like means it contains a dot or a colon or is
 * localhost, which is the rule Docker uses to find a registry host.
 */
function looksLikePath(text: string): boolean {
  if (/^(\.{1,2}\/|\/|~)/.test(text)) return true;
  const first = text.split('/', 1)[0] ?? '';
  const hostLike = first === 'localhost' || first.includes('.') || first.includes(':') || first.startsWith('[');
  return !text.includes('/') || !hostLike;
}
