// Parses image references of the form host[:port]/repository[:tag][@sha256:hex],
// with the grammar of the distribution project's reference package.

export interface ImageReference {
  /** Registry host with optional port, e.g. '127.0.0.1:5000' or '[::1]:5000'. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const REPOSITORY_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REGISTRY_HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/;

/**
 * Parses a reference. The registry host is required, because a default of
 * Docker Hub would send pushes somewhere the caller did not name.
 */
export function parseReference(text: string): ImageReference {
  const hint = 'write it as host[:port]/repository[:tag][@sha256:<64 hex digits>], e.g. 127.0.0.1:5000/perses/manifests:v1';

  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new Error(`reference "${text}" has an invalid digest "${digest}"; ${hint}`);
  }

  const slash = rest.indexOf('/');
  const registry = slash === -1 ? '' : rest.slice(0, slash);
  if (slash === -1 || !looksLikeRegistryHost(registry)) {
    throw new Error(`reference "${text}" has no registry host; ${hint}`);
  }
  if (!REGISTRY_HOST.test(registry)) throw new Error(`reference "${text}" has an invalid registry host "${registry}"; ${hint}`);

  let repository = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = repository.lastIndexOf(':');
  if (colon !== -1) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
    if (!TAG.test(tag)) throw new Error(`reference "${text}" has an invalid tag "${tag}"; a tag is 1-128 letters, digits, '_', '.' or '-'`);
  }
  if (repository === '' || !repository.split('/').every((component) => REPOSITORY_COMPONENT.test(component))) {
    throw new Error(`reference "${text}" has an invalid repository "${repository}"; use lower-case path components such as perses/manifests`);
  }

  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Formats a reference back to text; a digest wins over a tag, so the result pins the content. */
export function formatReference(reference: ImageReference, options: { preferDigest?: boolean } = {}): string {
  const base = `${reference.registry}/${reference.repository}`;
  if (reference.digest && (options.preferDigest ?? true)) return `${base}@${reference.digest}`;
  return reference.tag ? `${base}:${reference.tag}` : base;
}

/** Returns true for hosts that may be reached over plain HTTP: localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:[0-9]+$/, '');
  if (host === 'localhost' || host === '::1') return true;
  return /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

function looksLikeRegistryHost(component: string): boolean {
  return component === 'localhost' || component.includes('.') || component.includes(':') || component.startsWith('[');
}
