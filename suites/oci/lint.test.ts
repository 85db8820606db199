import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildImage } from '../../helpers/oci/build.js';
import type { BuiltImage } from '../../helpers/oci/image.js';
import { lintArtifact, lintResourceFiles, type LintReport } from '../../helpers/oci/lint.js';
import { RegistryClient } from '../../helpers/oci/registry-client.js';
import { startRegistry, type RunningRegistry } from '../../helpers/oci/registry-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const environments = path.join(repoRoot, 'fixtures/oci/environments');
const broken = path.join(repoRoot, 'fixtures/oci/broken-resources');
const realWorldDir = process.env.PERSES_RESOURCES_DIR ?? path.resolve(repoRoot, '../shared/data/perses-resources');

function statusByPath(report: LintReport): Record<string, string> {
  return Object.fromEntries(report.files.map((file) => [file.path, file.status]));
}

function messagesOf(report: LintReport, filePath: string): string {
  return report.files.find((file) => file.path === filePath)?.messages.join('\n') ?? '';
}

function valuesFor(subPath: string | undefined): Record<string, unknown> {
  return {
    config: { provisioning: { folders: ['/etc/perses/provisioning'] } },
    ociArtifacts: { name: 'perses-manifests', image: { reference: 'registry.example.com/perses:v1' }, mountPath: '/etc/perses/provisioning', subPath },
  };
}

describe('lint per environment', () => {
  let image: BuiltImage;
  beforeAll(async () => {
    image = await buildImage({ sourceDir: path.join(environments, 'artifact') });
  });

  it.each([
    ['prod.yaml', { 'dashboards/NOTES.txt': 'ignored', 'dashboards/overview.json': 'ok', 'datasources/prometheus.yaml': 'ok', 'projects/platform.yaml': 'ok' }],
    ['staging.yaml', { 'dashboards/overview.json': 'ok', 'projects/platform.yaml': 'ok' }],
  ])('values/%s mounts a clean folder', async (valuesFile, expected) => {
    const report = await lintArtifact({ artifact: image, values: path.join(environments, 'values', valuesFile) });

    expect(report.problems).toEqual([]);
    expect(statusByPath(report)).toEqual(expected);
    expect(report.ok).toBe(true);
  });

  it('missing subPath lists the folders', async () => {
    const report = await lintArtifact({ artifact: image, values: path.join(environments, 'values/missing-subpath.yaml') });

    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain('ociArtifacts.subPath "qa" does not exist');
    expect(report.problems.join('\n')).toContain('folders at the image root: prod, staging');
  });

  it('provisioning folder must match mountPath', async () => {
    const report = await lintArtifact({ artifact: image, values: path.join(environments, 'values/folder-mismatch.yaml') });

    expect(report.ok).toBe(false);
    expect(report.problems.join('\n')).toContain('does not include ociArtifacts.mountPath "/etc/perses/provisioning"');
  });
});

describe('lint of the values', () => {
  let image: BuiltImage;
  let scratchDir: string;
  beforeAll(async () => {
    image = await buildImage({ sourceDir: path.join(environments, 'artifact') });
    scratchDir = await mkdtemp(path.join(os.tmpdir(), 'perses-oci-lint-'));
  });
  afterAll(async () => {
    await rm(scratchDir, { recursive: true, force: true });
  });

  it('reference-only values are rejected', async () => {
    const values = { ociArtifacts: { image: { reference: 'registry.example.com/perses/manifests:v1' } } };

    const report = await lintArtifact({ artifact: image, values });

    expect(report.ok).toBe(false);
    expect(report.problems).toContain('ociArtifacts.name is missing or empty; the chart rejects values without it, so set it');
    expect(report.problems).toContain('ociArtifacts.mountPath is missing or empty; the chart rejects values without it, so set it');
    expect(report.problems.join('\n')).not.toContain('image.reference');
  });

  it('empty reference is rejected', async () => {
    const values = { ociArtifacts: { name: 'perses-manifests', mountPath: '/etc/perses/provisioning', image: { reference: '' } } };

    const report = await lintArtifact({ artifact: image, values });

    expect(report.problems).toEqual(['ociArtifacts.image.reference is missing or empty; the chart rejects values without it, so set it']);
  });

  it.each([
    ['{}', { ociArtifacts: {} }],
    ['null', { ociArtifacts: null }],
    ['unset', {}],
  ])('ociArtifacts %s means the feature is off', async (_case, values) => {
    const report = await lintArtifact({ artifact: image, values });

    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(/^ociArtifacts is off in these values, nothing mounts the artifact/);
  });

  it('values file that is not YAML is named', async () => {
    const valuesPath = path.join(scratchDir, 'broken-values.yaml');
    await writeFile(valuesPath, 'ociArtifacts: [unclosed\n  name: x\n');

    const lint = lintArtifact({ artifact: image, values: valuesPath });

    await expect(lint).rejects.toThrow(`values file ${valuesPath} is not valid YAML`);
    await expect(lint).rejects.toThrow(/at line \d+, column \d+\); fix the syntax/);
  });

  it('values file that is not UTF-8 is named', async () => {
    const valuesPath = path.join(scratchDir, 'latin1-values.yaml');
    await writeFile(valuesPath, Buffer.from('ociArtifacts:\n  name: caf\xe9\n', 'latin1'));

    const lint = lintArtifact({ artifact: image, values: valuesPath });

    await expect(lint).rejects.toThrow(`values file ${valuesPath} is not valid UTF-8`);
  });

  it.each(['./no-such-layout', 'no-such-layout', 'out/no-such-layout', '/no/such/layout'])('missing folder %s says no such folder', async (artifact) => {
    const lint = lintArtifact({ artifact, values: path.join(environments, 'values/prod.yaml') });

    await expect(lint).rejects.toThrow(`${artifact}: no such folder`);
  });

  it('file as artifact is rejected', async () => {
    const lint = lintArtifact({ artifact: path.join(repoRoot, 'README.md'), values: path.join(environments, 'values/prod.yaml') });

    await expect(lint).rejects.toThrow(/README\.md is a file, not a folder/);
  });
});

describe('lint of file contents', () => {
  it('non-UTF-8 file is reported as such', () => {
    const content = Buffer.from('kind: Project\nmetadata:\n  name: caf\xe9\nspec: {}\n', 'latin1');

    const [verdict] = lintResourceFiles([{ path: 'projects/cafe.yaml', content }], { existingProjects: [] });

    expect(verdict?.status).toBe('error');
    expect(verdict?.messages).toEqual(['file is not valid UTF-8; save it as UTF-8']);
  });

  it('UTF-8 file with accents is ok', () => {
    const content = Buffer.from('kind: Project\nmetadata:\n  name: cafe\nspec:\n  display:\n    name: Café\n', 'utf8');

    const [verdict] = lintResourceFiles([{ path: 'projects/cafe.yaml', content }], { existingProjects: [] });

    expect(verdict?.status).toBe('ok');
  });

  it('missing project hint names --existing-project', () => {
    const content = Buffer.from('kind: Dashboard\nmetadata:\n  name: d\n  project: elsewhere\nspec: {}\n');

    const [verdict] = lintResourceFiles([{ path: 'd.yaml', content }], { existingProjects: [] });

    expect(verdict?.messages.join('\n')).toContain('--existing-project elsewhere');
  });
});

describe('lint of broken resources', () => {
  let report: LintReport;
  beforeAll(async () => {
    const image = await buildImage({ sourceDir: path.join(broken, 'artifact') });
    report = await lintArtifact({ artifact: image, values: path.join(broken, 'values.yaml') });
  });

  it('gives one verdict per file', () => {
    expect(statusByPath(report)).toEqual({
      '01-project.json': 'ok',
      '02-invalid.json': 'error',
      '03-custom-resource.yaml': 'error',
      '04-no-project.yaml': 'error',
      '05-dashboard.yaml': 'ok',
      '06-dashboard-same-name.json': 'error',
      '07-two-documents.yaml': 'error',
      '08-defaults.json': 'error',
      '09-no-name.yaml': 'error',
      '10-ok-variable.yml': 'ok',
      'README.md': 'ignored',
    });
    expect(report.ok).toBe(false);
  });

  it.each([
    ['02-invalid.json', /invalid JSON/],
    ['03-custom-resource.yaml', /Kubernetes custom resource \(apiVersion perses\.dev\/v1alpha1\)/],
    ['04-no-project.yaml', /needs project "nobody", which is not in the artifact/],
    ['06-dashboard-same-name.json', /Dashboard team\/latency is also defined in 05-dashboard\.yaml/],
    ['07-two-documents.yaml', /contains 2 YAML documents/],
    ['08-defaults.json', /prom-b is a second default PrometheusDatasource GlobalDatasource after GlobalDatasource prom-a/],
    ['09-no-name.yaml', /has no metadata\.name/],
    ['README.md', /reads only \.json, \.yaml, \.yml/],
  ])('%s explains its verdict', (filePath, message) => {
    expect(messagesOf(report, filePath)).toMatch(message);
  });

  it('one default per plugin kind is allowed', () => {
    expect(messagesOf(report, '08-defaults.json')).not.toContain('loki');
  });

  it('existing project satisfies the reference', async () => {
    const image = await buildImage({ sourceDir: path.join(broken, 'artifact') });

    const withProject = await lintArtifact({ artifact: image, values: path.join(broken, 'values.yaml'), existingProjects: ['Nobody'] });

    expect(statusByPath(withProject)['04-no-project.yaml']).toBe('ok');
  });
});

describe('lint from a registry reference', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('pulls and lints the pushed artifact', async () => {
    const image = await buildImage({ sourceDir: path.join(environments, 'artifact') });
    const pushed = await new RegistryClient({ registry: registry.host }).pushImage(image, { repository: 'perses/environments', tag: 'v1' });

    const report = await lintArtifact({ artifact: pushed.reference, values: path.join(environments, 'values/prod.yaml') });

    expect(report.ok).toBe(true);
    expect(report.artifact).toBe(pushed.reference);
  });

  it('missing repository says it does not exist', async () => {
    const lint = lintArtifact({ artifact: `${registry.host}/perses/never-pushed:v1`, values: path.join(environments, 'values/prod.yaml') });

    await expect(lint).rejects.toThrow('repository perses/never-pushed does not exist');
  });

  it.each([
    ['same tag', (host: string) => `${host}/perses/compared:v1`, undefined],
    ['same digest', (host: string, digest: string) => `${host}/perses/compared@${digest}`, undefined],
    ['other tag, same manifest', (host: string) => `${host}/perses/compared:v1-again`, undefined],
    ['other repository', (host: string) => `${host}/perses/other:v1`, /points at .*perses\/other, not at the linted artifact/],
    ['other manifest', (host: string) => `${host}/perses/compared:v2`, /tag "v2" points at sha256:[a-f0-9]{64}, but the linted artifact is/],
  ])('values reference: %s', async (_case, referenceFor, warning) => {
    const client = new RegistryClient({ registry: registry.host });
    const image = await buildImage({ sourceDir: path.join(environments, 'artifact') });
    const other = await buildImage({ sourceDir: path.join(environments, 'artifact/prod') });
    const pushed = await client.pushImage(image, { repository: 'perses/compared', tag: 'v1' });
    await client.pushImage(image, { repository: 'perses/compared', tag: 'v1-again' });
    await client.pushImage(other, { repository: 'perses/compared', tag: 'v2' });
    const values = { ...valuesFor('prod'), ociArtifacts: { ...(valuesFor('prod').ociArtifacts as object), image: { reference: referenceFor(registry.host, pushed.digest) } } };

    const report = await lintArtifact({ artifact: pushed.taggedReference, values });

    expect(report.ok).toBe(true);
    if (warning) expect(report.warnings.join('\n')).toMatch(warning);
    else expect(report.warnings).toEqual([]);
  });
});

// Skipped when the real-world data is absent: set PERSES_RESOURCES_DIR to a perses-resources folder.
describe.skipIf(!existsSync(realWorldDir))('lint of real-world resources (needs PERSES_RESOURCES_DIR or the shared data folder)', () => {
  let image: BuiltImage;
  beforeAll(async () => {
    image = await buildImage({ sourceDir: realWorldDir });
  });

  it('whole tree: three files rejected', async () => {
    const report = await lintArtifact({ artifact: image, values: valuesFor(undefined) });
    const statuses = statusByPath(report);

    expect(Object.entries(statuses).filter(([, status]) => status === 'error').map(([filePath]) => filePath)).toEqual([
      'perses/dev-data/4-globaldatasource.json',
      'perses/not-provisionable/ephemeraldashboard.json',
      'plugins/trace-to-logs.json',
    ]);
    expect(Object.entries(statuses).filter(([, status]) => status === 'ignored').map(([filePath]) => filePath)).toEqual([
      'README.md',
      'community-mixins/LICENSE',
      'perses/LICENSE',
      'plugins/LICENSE',
    ]);
    expect(Object.values(statuses).filter((status) => status === 'ok')).toHaveLength(12);
    expect(messagesOf(report, 'perses/dev-data/4-globaldatasource.json')).toMatch(/prometheuslocal is a second default PrometheusDatasource .* prometheus-datasource/);
    expect(messagesOf(report, 'perses/not-provisionable/ephemeraldashboard.json')).toContain('EphemeralDashboard');
    expect(messagesOf(report, 'plugins/trace-to-logs.json')).toContain('needs project "examples"');
  });

  it.each(['perses/dev-data', 'community-mixins'])('subPath %s is self-contained', async (subPath) => {
    const report = await lintArtifact({ artifact: image, values: valuesFor(subPath) });

    expect(report.files.filter((file) => file.status === 'error')).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('subPath plugins lacks project examples', async () => {
    const report = await lintArtifact({ artifact: image, values: valuesFor('plugins') });

    expect(statusByPath(report)).toEqual({ LICENSE: 'ignored', 'e2e.json': 'ok', 'trace-to-logs.json': 'error' });
  });

  it('subPath plugins passes with examples declared', async () => {
    const report = await lintArtifact({ artifact: image, values: valuesFor('plugins'), existingProjects: ['examples'] });

    expect(report.ok).toBe(true);
  });
});
