// A client for the distribution API v2 (the OCI distribution spec):
// blob and manifest push, pull, tag listing and tag resolution, with
// anonymous, basic and bearer-token auth.
//
// Plain HTTP is used only for loopback hosts (localhost, 127.0.0.0/8, ::1);
// every other registry is reached over HTTPS.

import { assembleImage, MEDIA_TYPES, sha256Digest, type BuiltImage } from './image.js';
import { formatReference, isLoopbackRegistry, parseReference, type ImageReference } from './reference.js';
import {
  CREDENTIALS_HINT,
  describeErrorBody,
  describeFailureReason,
  describeFetchFailure,
  RegistryError,
} from './registry-errors.js';

/** Default per-request limit: a 500-dashboard layer uploads in well under a second on loopback. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const MANIFEST_ACCEPT = [MEDIA_TYPES.manifest, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.index, MEDIA_TYPES.dockerManifestList].join(', ');

export interface RegistryClientOptions {
  /** Registry host with optional port, e.g. '127.0.0.1:5000'. */
  registry: string;
  username?: string;
  password?: string;
  requestTimeoutMs?: number;
}

export interface PushImageOptions {
  repository: string;
  tag: string;
  /** Upload blobs in PATCH chunks of this many bytes; a single PUT when left out. */
  chunkSizeBytes?: number;
  /** Called for each blob: once if the registry has it, else after each accepted chunk and at the end. */
  onProgress?: (progress: BlobProgress) => void;
}

export interface BlobProgress {
  digest: string;
  mediaType: string;
  acceptedBytes: number;
  totalBytes: number;
  /** 'exists' when the registry had the blob already, so nothing was sent. */
  state: 'exists' | 'uploading' | 'uploaded';
}

export interface PushResult {
  digest: string;
  /** The pushed image pinned by digest, e.g. 127.0.0.1:5000/perses/manifests@sha256:... */
  reference: string;
  /** The pushed image by tag. */
  taggedReference: string;
}

export interface PushBlobOptions {
  /** Upload in PATCH chunks of this many bytes; a single PUT when left out. */
  chunkSizeBytes?: number;
  /** Called with the bytes the registry has accepted, after each chunk and once at the end of an upload. */
  onProgress?: (acceptedBytes: number) => void;
}

interface RequestOptions {
  repository: string;
  /** Token scope actions: 'pull' or 'pull,push'. */
  actions: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** Distribution API v2 client bound to one registry host. */
export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: string;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly bearerTokens = new Map<string, string>();
  private useBasicAuth = false;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.baseUrl = `${isLoopbackRegistry(options.registry) ? 'http' : 'https'}://${options.registry}`;
    this.username = options.username;
    this.password = options.password;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * Pushes every blob, checks that the registry has each one at the right
   * size, then puts the manifest under `tag`. Because the manifest goes last,
   * a failure never leaves the tag pointing at an incomplete image.
   */
  async pushImage(image: BuiltImage, options: PushImageOptions): Promise<PushResult> {
    const { repository, tag } = options;
    const descriptors = [image.manifest.config, ...image.manifest.layers];

    for (const descriptor of descriptors) {
      const bytes = image.blobs.get(descriptor.digest);
      if (!bytes) throw new RegistryError('blob-unknown', `image ${image.manifestDigest} lacks blob ${descriptor.digest} (${descriptor.mediaType}); build the image again`);
      const report = (acceptedBytes: number, state: BlobProgress['state']): void =>
        options.onProgress?.({ digest: descriptor.digest, mediaType: descriptor.mediaType, acceptedBytes, totalBytes: bytes.length, state });
      const outcome = await this.pushBlob(repository, descriptor.digest, bytes, {
        chunkSizeBytes: options.chunkSizeBytes,
        onProgress: (acceptedBytes) => report(acceptedBytes, acceptedBytes === bytes.length ? 'uploaded' : 'uploading'),
      });
      if (outcome === 'exists') report(bytes.length, 'exists');
    }

    for (const descriptor of descriptors) {
      const size = await this.statBlob(repository, descriptor.digest);
      if (size !== descriptor.size) {
        const found = size === undefined ? 'no blob' : `${size} bytes`;
        throw new RegistryError('blob-unknown', `registry ${this.registry} has ${found} for blob ${descriptor.digest} in ${repository} after the upload, expected ${descriptor.size} bytes; the manifest was not pushed, so retry the push`);
      }
    }

    const response = await this.request('PUT', `/v2/${repository}/manifests/${tag}`, {
      repository,
      actions: 'pull,push',
      headers: { 'Content-Type': image.manifest.mediaType },
      body: image.manifestBytes,
    });
    await this.expectStatus(response, [201], `push manifest ${repository}:${tag}`);
    const returnedDigest = response.headers.get('docker-content-digest');
    if (returnedDigest && returnedDigest !== image.manifestDigest) {
      throw new RegistryError('digest-mismatch', `registry ${this.registry} stored manifest ${repository}:${tag} as ${returnedDigest}, expected ${image.manifestDigest}; the registry rewrote the manifest, so pin the digest it returned`);
    }

    const base = { registry: this.registry, repository };
    return {
      digest: image.manifestDigest,
      reference: formatReference({ ...base, digest: image.manifestDigest }),
      taggedReference: formatReference({ ...base, tag }),
    };
  }

  /**
   * Uploads one blob unless the registry has it already (HEAD first). Uses
   * a single PUT, or PATCH chunks of `chunkSizeBytes` followed by a closing PUT.
   * Returns 'exists' or 'uploaded'.
   */
  async pushBlob(repository: string, digest: string, bytes: Buffer, options: PushBlobOptions = {}): Promise<'exists' | 'uploaded'> {
    if ((await this.statBlob(repository, digest)) === bytes.length) return 'exists';

    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`, { repository, actions: 'pull,push' });
    await this.expectStatus(start, [202], `start blob upload in ${repository}`);
    let location = this.uploadLocation(start, repository);

    const chunkSize = options.chunkSizeBytes;
    let acceptedBytes = 0;
    try {
      if (chunkSize !== undefined) {
        if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error(`chunkSizeBytes ${chunkSize} is invalid; expected a positive integer`);
        for (let offset = 0; offset < bytes.length; offset += chunkSize) {
          const chunk = bytes.subarray(offset, Math.min(offset + chunkSize, bytes.length));
          const patch = await this.requestUrl('PATCH', location, {
            repository,
            actions: 'pull,push',
            headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
            body: Buffer.from(chunk),
          });
          await this.expectStatus(patch, [202], `upload chunk at byte ${offset} of blob ${digest} in ${repository}`);
          location = this.uploadLocation(patch, repository);
          acceptedBytes = offset + chunk.length;
          // The last chunk is reported once, after the closing PUT below.
          if (acceptedBytes < bytes.length) options.onProgress?.(acceptedBytes);
        }
      }

      const finish = new URL(location);
      finish.searchParams.set('digest', digest);
      const put = await this.requestUrl('PUT', finish.toString(), {
        repository,
        actions: 'pull,push',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: chunkSize === undefined ? bytes : Buffer.alloc(0),
      });
      await this.expectStatus(put, [201], `finish upload of blob ${digest} in ${repository}`);
    } catch (error) {
      throw this.uploadFailure(error, { repository, digest, acceptedBytes, totalBytes: bytes.length });
    }
    options.onProgress?.(bytes.length);
    return 'uploaded';
  }

  /**
   * Restates a connection failure during an upload with the repository, the
   * blob and how far it got. The upload URL is left out because its `_state`
   * query is a long opaque token that helps no reader.
   */
  private uploadFailure(error: unknown, upload: { repository: string; digest: string; acceptedBytes: number; totalBytes: number }): unknown {
    if (!(error instanceof RegistryError) || (error.code !== 'unreachable' && error.code !== 'timeout')) return error;

    const reason = describeFailureReason(error.cause, this.requestTimeoutMs);
    return new RegistryError(
      error.code,
      `upload of blob ${upload.digest} to repository ${upload.repository} at registry ${this.registry} failed after ${upload.acceptedBytes} of ${upload.totalBytes} bytes were accepted (${reason}); the tag was not changed, so check that the registry is running and push again`,
      { cause: error.cause },
    );
  }

  /** Pulls a manifest and its blobs, verifying every digest. */
  async pullImage(reference: string | ImageReference): Promise<BuiltImage> {
    const ref = this.toReference(reference);
    const { manifestBytes } = await this.fetchManifest(ref);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as BuiltImage['manifest'];
    const label = formatReference(ref);

    const blobs = new Map<string, Buffer>();
    for (const descriptor of [manifest.config, ...(manifest.layers ?? [])]) {
      if (!descriptor) continue;
      const response = await this.request('GET', `/v2/${ref.repository}/blobs/${descriptor.digest}`, { repository: ref.repository, actions: 'pull' });
      if (response.status === 404) {
        throw new RegistryError('blob-unknown', `blob ${descriptor.digest} (${descriptor.mediaType}) of ${label} is missing from registry ${this.registry} (${await describeErrorBody(response)}); the registry storage lost it, so push the image again`, { status: 404 });
      }
      await this.expectStatus(response, [200], `pull blob ${descriptor.digest} of ${label}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      const actual = sha256Digest(bytes);
      if (actual !== descriptor.digest) {
        throw new RegistryError('digest-mismatch', `blob of ${label} from registry ${this.registry} has digest ${actual}, expected ${descriptor.digest}; the stored blob is corrupt, so push the image again`);
      }
      blobs.set(descriptor.digest, bytes);
    }
    return assembleImage(manifestBytes, blobs, label);
  }

  /** Returns the manifest digest a tag or digest reference points at, using HEAD when the registry sends Docker-Content-Digest. */
  async resolveDigest(reference: string | ImageReference): Promise<string> {
    const ref = this.toReference(reference);
    const target = ref.digest ?? ref.tag ?? 'latest';
    const head = await this.request('HEAD', `/v2/${ref.repository}/manifests/${target}`, {
      repository: ref.repository,
      actions: 'pull',
      headers: { Accept: MANIFEST_ACCEPT },
    });
    if (head.status === 200) {
      const digest = head.headers.get('docker-content-digest');
      if (digest) return digest;
    } else if (head.status === 404) {
      throw await this.manifestNotFound(ref, head);
    }
    return (await this.fetchManifest(ref)).digest;
  }

  /** Lists every tag of a repository, following Link pagination. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `${this.baseUrl}/v2/${repository}/tags/list?n=1000`;

    while (next) {
      const response = await this.requestUrl('GET', next, { repository, actions: 'pull' });
      if (response.status === 404) {
        throw new RegistryError('name-unknown', `repository ${repository} not found in registry ${this.registry} (${await describeErrorBody(response)}); push an image to it first`, { status: 404 });
      }
      await this.expectStatus(response, [200], `list tags of ${repository}`);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '');
      next = link?.[1] ? new URL(link[1], this.baseUrl).toString() : undefined;
    }
    return tags;
  }

  /** Returns the size the registry reports for a blob, or undefined when it has none. */
  async statBlob(repository: string, digest: string): Promise<number | undefined> {
    const response = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, { repository, actions: 'pull,push' });
    if (response.status === 404) return undefined;
    await this.expectStatus(response, [200], `check blob ${digest} in ${repository}`);
    return Number(response.headers.get('content-length'));
  }

  private async fetchManifest(ref: ImageReference): Promise<{ manifestBytes: Buffer; digest: string }> {
    const target = ref.digest ?? ref.tag ?? 'latest';
    const response = await this.request('GET', `/v2/${ref.repository}/manifests/${target}`, {
      repository: ref.repository,
      actions: 'pull',
      headers: { Accept: MANIFEST_ACCEPT },
    });
    if (response.status === 404) throw await this.manifestNotFound(ref, response);
    await this.expectStatus(response, [200], `pull manifest ${formatReference(ref)}`);

    const manifestBytes = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(manifestBytes);
    const expected = ref.digest ?? response.headers.get('docker-content-digest') ?? digest;
    if (digest !== expected) {
      throw new RegistryError('digest-mismatch', `manifest ${formatReference(ref)} from registry ${this.registry} has digest ${digest}, expected ${expected}; the registry returned other content, so check the reference`);
    }
    return { manifestBytes, digest };
  }

  /** Builds the error for a 404 on a manifest: a missing repository, or a missing tag with the tags that exist. */
  private async manifestNotFound(ref: ImageReference, response: Response): Promise<RegistryError> {
    const missing = ref.digest ? `digest ${ref.digest}` : `tag "${ref.tag ?? 'latest'}"`;
    const detail = response.body ? await describeErrorBody(response) : '404 Not Found';
    const tags = await this.listTags(ref.repository).catch((error: unknown) => error as Error);

    if (tags instanceof RegistryError && tags.code === 'name-unknown') {
      return new RegistryError('name-unknown', `repository ${ref.repository} does not exist in registry ${this.registry} (${detail}); check the repository name or push an image to it first`, { status: 404 });
    }
    const known = Array.isArray(tags) ? `available tags: ${tags.length > 0 ? tags.join(', ') : 'none'}` : `the tags could not be listed (${tags.message})`;
    return new RegistryError('manifest-unknown', `${missing} not found in ${this.registry}/${ref.repository} (${detail}); ${known}`, { status: 404 });
  }

  private toReference(reference: string | ImageReference): ImageReference {
    const ref = typeof reference === 'string' ? parseReference(reference) : reference;
    if (ref.registry !== this.registry) {
      throw new Error(`reference ${formatReference(ref)} names registry ${ref.registry}, but this client is for ${this.registry}; create a RegistryClient for that registry`);
    }
    return ref;
  }

  private uploadLocation(response: Response, repository: string): string {
    const location = response.headers.get('location');
    if (!location) throw new RegistryError('protocol', `registry ${this.registry} sent no Location header for an upload in ${repository}; expected one on HTTP ${response.status}`);
    return new URL(location, this.baseUrl).toString();
  }

  private async expectStatus(response: Response, expected: number[], action: string): Promise<void> {
    if (expected.includes(response.status)) return;
    const detail = await describeErrorBody(response);
    throw new RegistryError('protocol', `${action} at registry ${this.registry} failed: expected HTTP ${expected.join(' or ')}, found ${detail}`, { status: response.status });
  }

  private request(method: string, path: string, options: RequestOptions): Promise<Response> {
    return this.requestUrl(method, `${this.baseUrl}${path}`, options);
  }

  /**
   * Sends one request and answers an auth challenge once: Basic with the
   * configured credentials, or Bearer with a token from the challenge's realm.
   * 401 and 403 become RegistryErrors that name the repository and the settings.
   */
  private async requestUrl(method: string, url: string, options: RequestOptions): Promise<Response> {
    const scope = `repository:${options.repository}:${options.actions}`;
    let response = await this.send(method, url, options, this.authorizationFor(scope));

    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      await response.body?.cancel();
      const authorization = await this.answerChallenge(challenge, scope, options.repository);
      response = await this.send(method, url, options, authorization);
    }

    if (response.status === 401 || response.status === 403) {
      const detail = await describeErrorBody(response);
      const identity = this.username === undefined ? 'no credentials were given' : `user "${this.username}" was used`;
      const code = response.status === 401 ? 'unauthorized' : 'denied';
      const verb = response.status === 401 ? 'rejected the credentials' : 'denied access';
      throw new RegistryError(code, `registry ${this.registry} ${verb} for repository ${options.repository} (HTTP ${response.status}, ${detail}); ${identity}, so ${CREDENTIALS_HINT}`, { status: response.status });
    }
    return response;
  }

  private authorizationFor(scope: string): string | undefined {
    const token = this.bearerTokens.get(scope);
    if (token) return `Bearer ${token}`;
    if (this.useBasicAuth) return this.basicAuthorization();
    return undefined;
  }

  private basicAuthorization(): string | undefined {
    if (this.username === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.username}:${this.password ?? ''}`).toString('base64')}`;
  }

  private async answerChallenge(challenge: string, scope: string, repository: string): Promise<string | undefined> {
    const scheme = challenge.split(' ', 1)[0]?.toLowerCase();
    if (scheme === 'basic') {
      this.useBasicAuth = true;
      return this.basicAuthorization();
    }
    if (scheme !== 'bearer') return undefined;

    const params = parseChallengeParams(challenge.slice(challenge.indexOf(' ') + 1));
    if (!params.realm) {
      throw new RegistryError('protocol', `registry ${this.registry} sent a Bearer challenge without a realm for repository ${repository}: ${challenge}`);
    }
    const tokenUrl = new URL(params.realm);
    if (tokenUrl.protocol !== 'https:' && !isLoopbackRegistry(tokenUrl.host)) {
      throw new RegistryError('insecure', `registry ${this.registry} sends credentials to ${tokenUrl.origin} over plain HTTP; refusing, because only loopback hosts may use HTTP`);
    }
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', params.scope ?? scope);

    const basic = this.basicAuthorization();
    const response = await this.fetchWithTimeout(tokenUrl.toString(), { method: 'GET', headers: basic ? { Authorization: basic } : {} });
    if (response.status === 401 || response.status === 403) {
      const identity = this.username === undefined ? 'no credentials were given' : `user "${this.username}" was used`;
      throw new RegistryError('unauthorized', `token service ${tokenUrl.origin} rejected the credentials for repository ${repository} (HTTP ${response.status}); ${identity}, so ${CREDENTIALS_HINT}`, { status: response.status });
    }
    await this.expectStatus(response, [200], `fetch a token for ${repository} from ${tokenUrl.origin}`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('protocol', `token service ${tokenUrl.origin} returned no token for repository ${repository}`);
    this.bearerTokens.set(scope, token);
    return `Bearer ${token}`;
  }

  private send(method: string, url: string, options: RequestOptions, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (authorization) headers.Authorization = authorization;
    // The typings accept only views over an ArrayBuffer, which every Buffer made here is.
    const body = options.body as Uint8Array<ArrayBuffer> | undefined;
    return this.fetchWithTimeout(url, { method, headers, ...(body ? { body } : {}) });
  }

  private async fetchWithTimeout(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(this.requestTimeoutMs) });
    } catch (error) {
      throw describeFetchFailure(error, url, this.requestTimeoutMs);
    }
  }
}

/** Parses `realm="...",service="...",scope="..."` from a WWW-Authenticate value. */
function parseChallengeParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z]+)="([^"]*)"/g)) {
    if (match[1] && match[2] !== undefined) params[match[1].toLowerCase()] = match[2];
  }
  return params;
}
