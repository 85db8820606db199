import { createServer, type Server } from 'node:http';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildImage } from '../../helpers/oci/build.js';
import type { BuiltImage } from '../../helpers/oci/image.js';
import { parseReference } from '../../helpers/oci/reference.js';
import { RegistryClient } from '../../helpers/oci/registry-client.js';
import type { RegistryError } from '../../helpers/oci/registry-errors.js';
import { startRegistry, type RunningRegistry } from '../../helpers/oci/registry-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sourceDir = path.join(repoRoot, 'fixtures/oci/environments/artifact');
const credentials = { username: 'perses', password: 'correct-horse' };

let image: BuiltImage;
let artifact: BuiltImage;

beforeAll(async () => {
  image = await buildImage({ sourceDir });
  artifact = await buildImage({ sourceDir, form: 'artifact' });
});

function blobDataPath(registry: RunningRegistry, digest: string): string {
  const hex = digest.replace('sha256:', '');
  return path.join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

async function errorOf(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    return error as RegistryError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe.each([
  { mode: 'anonymous', auth: undefined },
  { mode: 'htpasswd basic auth', auth: credentials },
])('registry with $mode', ({ auth }) => {
  let registry: RunningRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    registry = await startRegistry({ auth });
    client = new RegistryClient({ registry: registry.host, ...auth });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('monolithic push then pull matches', async () => {
    const pushed = await client.pushImage(image, { repository: 'perses/environments', tag: 'v1' });

    const pulled = await client.pullImage(pushed.reference);

    expect(pushed.digest).toBe(image.manifestDigest);
    expect(pulled.manifestBytes.equals(image.manifestBytes)).toBe(true);
    for (const [digest, bytes] of image.blobs) expect(pulled.blobs.get(digest)?.equals(bytes), digest).toBe(true);
  });

  it('chunked push of the artifact form', async () => {
    const pushed = await client.pushImage(artifact, { repository: 'perses/chunked', tag: 'v1', chunkSizeBytes: 97 });

    const pulled = await client.pullImage(`${registry.host}/perses/chunked:v1`);

    expect(pushed.digest).toBe(artifact.manifestDigest);
    expect(pulled.manifest.artifactType).toBe(artifact.manifest.artifactType);
  });

  it('pushing again skips existing blobs', async () => {
    const layerDigest = image.manifest.layers[0]?.digest ?? '';

    const outcome = await client.pushBlob('perses/environments', layerDigest, image.blobs.get(layerDigest) ?? Buffer.alloc(0));

    expect(outcome).toBe('exists');
  });

  it('lists tags and resolves a tag', async () => {
    await client.pushImage(image, { repository: 'perses/tagged', tag: 'v1' });
    await client.pushImage(image, { repository: 'perses/tagged', tag: 'v2' });

    expect((await client.listTags('perses/tagged')).sort()).toEqual(['v1', 'v2']);
    expect(await client.resolveDigest(`${registry.host}/perses/tagged:v2`)).toBe(image.manifestDigest);
  });

  it('unknown tag names the available tags', async () => {
    await client.pushImage(image, { repository: 'perses/known', tag: 'v1' });

    const error = await errorOf(client.pullImage(`${registry.host}/perses/known:v9`));

    expect(error.code).toBe('manifest-unknown');
    expect(error.message).toMatch(/tag "v9" not found in .*perses\/known.*available tags: v1/);
  });

  it('unknown repository says it does not exist', async () => {
    const error = await errorOf(client.pullImage(`${registry.host}/perses/never-pushed:v1`));

    expect(error.code).toBe('name-unknown');
    expect(error.message).toContain(`repository perses/never-pushed does not exist in registry ${registry.host}`);
    expect(error.message).not.toContain('has no tags');
  });
});

describe('registry faults', () => {
  it('wrong password gives 401 naming the repository', async () => {
    const registry = await startRegistry({ auth: credentials });
    try {
      const client = new RegistryClient({ registry: registry.host, username: 'perses', password: 'wrong' });

      const error = await errorOf(client.pushImage(image, { repository: 'perses/secret', tag: 'v1' }));

      expect(error.code).toBe('unauthorized');
      expect(error.status).toBe(401);
      expect(error.message).toContain('repository perses/secret');
      expect(error.message).toContain('PERSES_OCI_PASSWORD');
    } finally {
      await registry.stop();
    }
  });

  it('missing credentials give 401', async () => {
    const registry = await startRegistry({ auth: credentials });
    try {
      const error = await errorOf(new RegistryClient({ registry: registry.host }).listTags('perses/secret'));

      expect(error.code).toBe('unauthorized');
      expect(error.message).toContain('no credentials were given');
    } finally {
      await registry.stop();
    }
  });

  it('stopped registry is reported as down', async () => {
    const registry = await startRegistry();
    await registry.stop();

    const error = await errorOf(new RegistryClient({ registry: registry.host }).pushImage(image, { repository: 'perses/down', tag: 'v1' }));

    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(`http://${registry.host}/v2/`);
    expect(error.message).toContain('start the registry');
  });

  it('vanished blob and corrupt blob fail the pull', async () => {
    const registry = await startRegistry();
    try {
      const client = new RegistryClient({ registry: registry.host });
      await client.pushImage(image, { repository: 'perses/fragile', tag: 'v1' });
      const layerDigest = image.manifest.layers[0]?.digest ?? '';
      const configDigest = image.manifest.config.digest;

      const configBytes = image.blobs.get(configDigest) ?? Buffer.alloc(0);
      await writeFile(blobDataPath(registry, configDigest), Buffer.alloc(configBytes.length, 0x20));
      const corrupt = await errorOf(client.pullImage(`${registry.host}/perses/fragile:v1`));
      await rm(blobDataPath(registry, configDigest));
      await rm(blobDataPath(registry, layerDigest));
      const vanished = await errorOf(client.pullImage(`${registry.host}/perses/fragile:v1`));

      expect(corrupt.code).toBe('digest-mismatch');
      expect(corrupt.message).toContain(`expected ${configDigest}`);
      expect(vanished.code).toBe('blob-unknown');
      expect(vanished.message).toMatch(/blob sha256:[a-f0-9]{64} .* is missing from registry/);
    } finally {
      await registry.stop();
    }
  });

  it('failed blob check leaves the tag unset', async () => {
    const registry = await startRegistry();
    try {
      const client = new RegistryClient({ registry: registry.host });
      const layerDigest = image.manifest.layers[0]?.digest ?? '';
      const truncated = { ...image, blobs: new Map(image.blobs) };
      truncated.blobs.set(layerDigest, Buffer.from('not the layer'));

      const error = await errorOf(client.pushImage(truncated, { repository: 'perses/half', tag: 'v1' }));
      const tags = await errorOf(client.listTags('perses/half'));

      expect(error.code).toBe('protocol');
      expect(error.message).toContain(layerDigest);
      expect(tags.code).toBe('name-unknown');
      const repositories = await readdir(path.join(registry.storageDir, 'docker/registry/v2/repositories/perses/half')).catch(() => []);
      expect(repositories).not.toContain('_manifests');
    } finally {
      await registry.stop();
    }
  });
});

describe('registry killed mid-upload', () => {
  const repository = 'perses/killed';
  const stateToken = 'OPAQUESTATETOKEN';
  let server: Server;
  let host: string;

  // A stand-in registry that accepts the upload's first chunk, then drops
  // the connection, as a registry killed mid-push does.
  beforeAll(async () => {
    let patches = 0;
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const location = `/v2/${repository}/blobs/uploads/upload-1?_state=${stateToken}`;
      if (request.method === 'HEAD') {
        response.writeHead(404).end();
      } else if (request.method === 'POST') {
        response.writeHead(202, { Location: location, 'Content-Length': '0' }).end();
      } else if (request.method === 'PATCH' && patches === 0 && url.pathname.endsWith('/upload-1')) {
        patches += 1;
        request.resume();
        request.once('end', () => response.writeHead(202, { Location: location, 'Content-Length': '0' }).end());
      } else {
        request.socket.destroy();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('names repository, blob and bytes', async () => {
    const bytes = Buffer.alloc(300, 7);
    const digest = `sha256:${'c'.repeat(64)}`;

    const error = await errorOf(new RegistryClient({ registry: host }).pushBlob(repository, digest, bytes, { chunkSizeBytes: 100 }));

    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(`upload of blob ${digest} to repository ${repository}`);
    expect(error.message).toContain('after 100 of 300 bytes were accepted');
    expect(error.message).not.toContain('_state');
    expect(error.message).not.toContain(stateToken);
  });
});

describe('bearer token auth', () => {
  let registry: RunningRegistry;
  let proxy: Server;
  let proxyHost: string;
  const issuedToken = 'token-for-tests';

  // A front that demands Bearer tokens and forwards to an anonymous registry,
  // standing in for a registry with a token service.
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = createServer(async (request, response) => {
      const url = new URL(request.url ?? '/', `http://${proxyHost}`);
      if (url.pathname === '/token') {
        const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
        response.writeHead(request.headers.authorization === expected ? 200 : 401, { 'Content-Type': 'application/json' });
        response.end(request.headers.authorization === expected ? JSON.stringify({ token: issuedToken }) : '{}');
        return;
      }
      if (request.headers.authorization !== `Bearer ${issuedToken}`) {
        response.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${proxyHost}/token",service="test-registry"` });
        response.end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'authorization', 'connection', 'content-length'].includes(name))) as Record<string, string>;
      const upstream = await fetch(`${registry.url}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) as Uint8Array<ArrayBuffer> } : {}),
      });
      const forwarded: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (name !== 'content-length' && name !== 'transfer-encoding') forwarded[name] = value.replace(registry.url, `http://${proxyHost}`);
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (request.method === 'HEAD') forwarded['content-length'] = upstream.headers.get('content-length') ?? '0';
      response.writeHead(upstream.status, forwarded);
      response.end(request.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    proxyHost = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => proxy?.close(() => resolve()));
    await registry?.stop();
  });

  it('token flow pushes and pulls', async () => {
    const client = new RegistryClient({ registry: proxyHost, ...credentials });

    const pushed = await client.pushImage(image, { repository: 'perses/bearer', tag: 'v1', chunkSizeBytes: 512 });
    const pulled = await client.pullImage(pushed.reference);

    expect(pulled.manifestDigest).toBe(image.manifestDigest);
  });

  it('token service rejects a wrong password', async () => {
    const client = new RegistryClient({ registry: proxyHost, username: 'perses', password: 'wrong' });

    const error = await errorOf(client.listTags('perses/bearer'));

    expect(error.code).toBe('unauthorized');
    expect(error.message).toContain('repository perses/bearer');
  });
});

describe('parseReference', () => {
  it.each([
    ['127.0.0.1:5000/perses/manifests:v1', { registry: '127.0.0.1:5000', repository: 'perses/manifests', tag: 'v1' }],
    [`localhost/perses@sha256:${'a'.repeat(64)}`, { registry: 'localhost', repository: 'perses', digest: `sha256:${'a'.repeat(64)}` }],
    [`[::1]:5000/a/b:v2@sha256:${'b'.repeat(64)}`, { registry: '[::1]:5000', repository: 'a/b', tag: 'v2', digest: `sha256:${'b'.repeat(64)}` }],
  ])('%s parses', (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
  });

  it.each([
    ['perses/manifests:v1', /no registry host/],
    ['127.0.0.1:5000/Perses:v1', /invalid repository/],
    ['127.0.0.1:5000/perses:bad tag', /invalid tag/],
    ['127.0.0.1:5000/perses@sha256:1234', /invalid digest/],
  ])('%s is rejected', (text, message) => {
    expect(() => parseReference(text)).toThrow(message);
  });

  it('plain HTTP only for loopback', () => {
    expect(new RegistryClient({ registry: '127.0.0.1:5000' }).baseUrl).toBe('http://127.0.0.1:5000');
    expect(new RegistryClient({ registry: '[::1]:5000' }).baseUrl).toBe('http://[::1]:5000');
    expect(new RegistryClient({ registry: 'registry.example.com' }).baseUrl).toBe('https://registry.example.com');
  });
});
