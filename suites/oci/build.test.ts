import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { buildImage } from '../../helpers/oci/build.js';
import { listImageFiles } from '../../helpers/oci/image-files.js';
import { MEDIA_TYPES, PERSES_ARTIFACT_TYPE } from '../../helpers/oci/image.js';
import { readOciLayout, writeOciLayout } from '../../helpers/oci/layout.js';
import { readTar, writeTar } from '../../helpers/oci/tar.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const environmentsDir = path.join(repoRoot, 'fixtures/oci/environments/artifact');
const scratchDirs: string[] = [];

afterAll(async () => {
  for (const dir of scratchDirs) await rm(dir, { recursive: true, force: true });
});

async function makeScratchDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'perses-oci-build-'));
  scratchDirs.push(dir);
  return dir;
}

describe('build', () => {
  it('same folder twice gives the same digest', async () => {
    const first = await buildImage({ sourceDir: environmentsDir, labels: { source: 'https://example.com/dashboards' } });
    const second = await buildImage({ sourceDir: environmentsDir, labels: { source: 'https://example.com/dashboards' } });

    expect(second.manifestDigest).toBe(first.manifestDigest);
    expect(second.manifestBytes.equals(first.manifestBytes)).toBe(true);
  });

  it('image form matches the Dockerfile layout', async () => {
    const image = await buildImage({
      sourceDir: environmentsDir,
      labels: { maintainer: 'platform-team', source: 'https://example.com/dashboards' },
      annotations: { 'org.opencontainers.image.version': 'v1.2.0' },
    });

    expect(image.manifest.mediaType).toBe(MEDIA_TYPES.manifest);
    expect(image.manifest.config.mediaType).toBe(MEDIA_TYPES.config);
    expect(image.manifest.layers).toHaveLength(1);
    expect(image.manifest.layers[0]?.mediaType).toBe(MEDIA_TYPES.layerGzip);
    expect(image.config.os).toBe('linux');
    expect(image.config.config?.WorkingDir).toBe('/');
    expect(image.config.config?.Labels).toEqual({ description: 'Perses manifests', maintainer: 'platform-team', source: 'https://example.com/dashboards' });
    expect(image.manifest.annotations?.['org.opencontainers.image.created']).toBe('1970-01-01T00:00:00Z');
    expect(image.manifest.annotations?.['org.opencontainers.image.source']).toBe('https://example.com/dashboards');
    expect(image.manifest.annotations?.['org.opencontainers.image.version']).toBe('v1.2.0');
    expect([...listImageFiles(image).keys()]).toContain('prod/dashboards/overview.json');
  });

  it('layer tar is deterministic and owned by root', async () => {
    const image = await buildImage({ sourceDir: environmentsDir });
    const layer = image.blobs.get(image.manifest.layers[0]?.digest ?? '');

    expect(layer?.subarray(4, 8).readUInt32LE()).toBe(0);
    const tar = gunzipSync(layer ?? Buffer.alloc(0));
    for (let offset = 0; offset + 512 <= tar.length; offset += 512) {
      const header = tar.subarray(offset, offset + 512);
      if (header.subarray(257, 262).toString() !== 'ustar') continue;
      expect(header.subarray(108, 115).toString(), 'uid').toBe('0000000');
      expect(header.subarray(136, 147).toString(), 'mtime').toBe('00000000000');
    }
    const paths = readTar(tar).map((entry) => entry.path);
    expect(paths).toEqual([...paths].sort());
  });

  it('artifact form uses the empty config', async () => {
    const image = await buildImage({ sourceDir: environmentsDir, form: 'artifact' });

    expect(image.manifest.artifactType).toBe(PERSES_ARTIFACT_TYPE);
    expect(image.manifest.config.mediaType).toBe(MEDIA_TYPES.empty);
    expect(image.blobs.get(image.manifest.config.digest)?.toString()).toBe('{}');
  });

  it('runnable image keeps exec bits and process config', async () => {
    const image = await buildImage({
      runtime: { entrypoint: ['/bin/busybox'], cmd: ['sh', '-c', 'sleep 3600'], env: ['PATH=/bin'], workingDir: '/data' },
      files: [
        { path: 'bin/busybox', content: Buffer.from('\u007fELF stand-in'), mode: 0o755 },
        { path: 'bin/sh', linkTarget: 'busybox' },
      ],
    });

    const files = listImageFiles(image);
    expect(files.get('bin/busybox')?.mode).toBe(0o755);
    expect(files.get('bin/sh')?.linkTarget).toBe('busybox');
    expect(image.config.config?.Entrypoint).toEqual(['/bin/busybox']);
    expect(image.config.config?.Cmd).toEqual(['sh', '-c', 'sleep 3600']);
    expect(image.config.config?.Env).toEqual(['PATH=/bin']);
    expect(image.config.config?.WorkingDir).toBe('/data');
  });

  it('tar round-trips long paths through PAX', () => {
    const longName = `dashboards/${'a'.repeat(180)}.json`;

    const entries = readTar(writeTar([{ path: longName, type: 'file', mode: 0o644, content: Buffer.from('{}'), linkTarget: '' }], { mtimeSeconds: 0 }));

    expect(entries.map((entry) => entry.path)).toEqual([longName]);
    expect(entries[0]?.content.toString()).toBe('{}');
  });

  it('OCI layout round-trips by tag', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'perses-oci-layout-'));
    scratchDirs.push(dir);
    const image = await buildImage({ sourceDir: environmentsDir });
    const artifact = await buildImage({ sourceDir: environmentsDir, form: 'artifact' });

    await writeOciLayout(image, dir, { tag: 'v1' });
    await writeOciLayout(artifact, dir, { tag: 'v1-artifact' });

    expect((await readOciLayout(dir, 'v1')).manifestDigest).toBe(image.manifestDigest);
    expect((await readOciLayout(dir, 'v1-artifact')).manifestDigest).toBe(artifact.manifestDigest);
    await expect(readOciLayout(dir)).rejects.toThrow(/found tags \[v1, v1-artifact\]/);
  });

  it('non-UTF-8 file name names the folder', async () => {
    const dir = await makeScratchDir();
    await mkdir(path.join(dir, 'dashboards'));
    // "caf\xe9.json": é in Latin-1, which is not valid UTF-8.
    await writeFile(Buffer.concat([Buffer.from(`${dir}/dashboards/caf`), Buffer.from([0xe9]), Buffer.from('.json')]), '{}');

    const build = buildImage({ sourceDir: dir });

    await expect(build).rejects.toThrow(`folder ${path.join(dir, 'dashboards')} contains a file name that is not valid UTF-8 ("caf\\xe9.json")`);
  });

  it('missing source folder names the path', async () => {
    await expect(buildImage({ sourceDir: path.join(repoRoot, 'no-such-folder') })).rejects.toThrow(/no-such-folder does not exist/);
  });
});

describe('OCI layout targets', () => {
  it('non-layout folder is left alone', async () => {
    const dir = await makeScratchDir();
    await writeFile(path.join(dir, 'index.json'), '{"mine": true}');
    const image = await buildImage({ sourceDir: environmentsDir });

    const write = writeOciLayout(image, dir, { tag: 'v1' });

    await expect(write).rejects.toThrow(`OCI layout target ${dir} is a non-empty folder with no oci-layout file`);
    expect(await readFile(path.join(dir, 'index.json'), 'utf8')).toBe('{"mine": true}');
  });

  it('empty folder becomes a layout', async () => {
    const dir = await makeScratchDir();
    const image = await buildImage({ sourceDir: environmentsDir });

    await writeOciLayout(image, dir, { tag: 'v1' });

    expect((await readOciLayout(dir, 'v1')).manifestDigest).toBe(image.manifestDigest);
  });

  it('layout with broken index.json is kept', async () => {
    const dir = await makeScratchDir();
    await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    await writeFile(path.join(dir, 'index.json'), 'not json');
    const image = await buildImage({ sourceDir: environmentsDir });

    const write = writeOciLayout(image, dir, { tag: 'v1' });

    await expect(write).rejects.toThrow(`${path.join(dir, 'index.json')} is not valid JSON; expected an OCI image index`);
    expect(await readFile(path.join(dir, 'index.json'), 'utf8')).toBe('not json');
  });

  it('file as target is rejected', async () => {
    const image = await buildImage({ sourceDir: environmentsDir });

    const write = writeOciLayout(image, path.join(repoRoot, 'README.md'));

    await expect(write).rejects.toThrow(/README\.md is a file, not a folder/);
  });

  it.each([
    ['not json', /index\.json is not valid JSON; expected an OCI image index/],
    ['{"schemaVersion": 2}', /index\.json has no manifests array; expected an OCI image index/],
  ])('reading index.json %s names the file', async (content, message) => {
    const dir = await makeScratchDir();
    await mkdir(path.join(dir, 'blobs'));
    await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    await writeFile(path.join(dir, 'index.json'), content);

    const read = readOciLayout(dir);

    await expect(read).rejects.toThrow(message);
    await expect(read).rejects.toThrow(path.join(dir, 'index.json'));
  });
});
