// Parses one provisioning file into Perses resources and checks each
// resource on its own, with the rules Perses provisioning applies on load
// (perses/perses v0.54.0: internal/cli/file, pkg/model/api/v1).

import path from 'node:path';

import { parseAllDocuments } from 'yaml';

/** Extensions Perses provisioning reads; other files in the folder are skipped. */
export const PROVISIONED_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** Kinds this lint accepts in a provisioning folder. */
export const PROVISIONED_KINDS = ['Project', 'Dashboard', 'Datasource', 'GlobalDatasource', 'Variable', 'GlobalVariable', 'Folder'] as const;

/** Kinds that live inside a project and so need metadata.project. */
export const PROJECT_SCOPED_KINDS = new Set(['Dashboard', 'Datasource', 'Variable', 'Folder']);

/** metadata.name rule of Perses (pkg/model/api/v1/common: name pattern, max 75 characters). */
const NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
const NAME_MAX_LENGTH = 75;

export interface PersesResource {
  kind: string;
  /** Lower-cased, as the file database stores it with case_sensitive false (the default). */
  name: string;
  /** Lower-cased project, or undefined for global kinds. */
  project: string | undefined;
  raw: Record<string, unknown>;
}

export interface ParsedFile {
  resources: PersesResource[];
  errors: string[];
}

/**
 * Parses a .json file (one object or an array) or a .yaml/.yml file (one
 * document) and checks kind, metadata and spec of each resource. Problems
 * are collected, not thrown, so every resource of the file is reported.
 */
export function parseResourceFile(filePath: string, content: string): ParsedFile {
  const errors: string[] = [];
  const documents = parseDocuments(filePath, content, errors);

  const resources: PersesResource[] = [];
  documents.forEach((document, index) => {
    const label = documents.length > 1 ? `resource #${index + 1}` : 'resource';
    const resource = checkResource(document, label, errors);
    if (resource) resources.push(resource);
  });
  return { resources, errors };
}

function parseDocuments(filePath: string, content: string, errors: string[]): unknown[] {
  if (path.extname(filePath).toLowerCase() === '.json') {
    try {
      const parsed: unknown = JSON.parse(content);
      return Array.isArray(parsed) ? parsed : [parsed];
    } catch (error) {
      errors.push(`invalid JSON: ${(error as Error).message}; expected one resource object or an array of them`);
      return [];
    }
  }

  const documents = parseAllDocuments(content);
  if (!Array.isArray(documents)) return [];
  const nonEmpty = documents.filter((document) => document.contents !== null);
  const yamlErrors = nonEmpty.flatMap((document) => document.errors.map((error) => error.message.split('\n')[0] ?? error.message));
  if (yamlErrors.length > 0) {
    errors.push(`invalid YAML: ${yamlErrors.join('; ')}`);
    return [];
  }
  if (nonEmpty.length > 1) {
    // Perses v0.54.0 unmarshals only the first YAML document of a file;
    // only later versions split a multi-document file into resources.
    errors.push(`contains ${nonEmpty.length} YAML documents; Perses v0.54.0 reads only the first, so put one resource per file or use a JSON array`);
    return [];
  }
  return nonEmpty.map((document) => document.toJS() as unknown);
}

function checkResource(document: unknown, label: string, errors: string[]): PersesResource | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    errors.push(`${label} is ${Array.isArray(document) ? 'an array' : typeof document}; expected an object with kind, metadata and spec`);
    return undefined;
  }
  const raw = document as Record<string, unknown>;
  const kind = raw.kind;
  const metadata = (typeof raw.metadata === 'object' && raw.metadata !== null ? raw.metadata : {}) as Record<string, unknown>;
  const problems: string[] = [];

  if (typeof kind !== 'string') {
    errors.push(`${label} has no kind; expected one of ${PROVISIONED_KINDS.join(', ')}`);
    return undefined;
  }
  if (raw.apiVersion !== undefined) {
    problems.push(`is a Kubernetes custom resource (apiVersion ${String(raw.apiVersion)}); provisioning reads native Perses resources, which have no apiVersion`);
  } else if (!(PROVISIONED_KINDS as readonly string[]).includes(kind)) {
    problems.push(`is not a kind that provisioning loads; expected one of ${PROVISIONED_KINDS.join(', ')}`);
  }

  const name = metadata.name;
  if (typeof name !== 'string' || name === '') {
    problems.push('has no metadata.name');
  } else if (!NAME_PATTERN.test(name) || name.length > NAME_MAX_LENGTH || /^\.|\.$|\.\./.test(name)) {
    problems.push(`has metadata.name "${name}"; expected at most ${NAME_MAX_LENGTH} letters, digits, '_', '-' or '.', with no leading, trailing or double dot`);
  }

  const project = metadata.project;
  if (PROJECT_SCOPED_KINDS.has(kind) && (typeof project !== 'string' || project === '')) {
    problems.push(`is project-scoped but has no metadata.project`);
  }
  if (typeof raw.spec !== 'object' || raw.spec === null || Array.isArray(raw.spec)) {
    problems.push('has no spec object');
  }

  const id = `${kind} ${typeof name === 'string' && name !== '' ? `"${name}"` : '(unnamed)'}`;
  if (problems.length > 0) {
    errors.push(...problems.map((problem) => `${label} ${id} ${problem}`));
    return undefined;
  }
  return {
    kind,
    name: (name as string).toLowerCase(),
    project: PROJECT_SCOPED_KINDS.has(kind) ? (project as string).toLowerCase() : undefined,
    raw,
  };
}
