import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildImage } from '../../helpers/oci/build.js';
import type { BuiltImage } from '../../helpers/oci/image.js';
import { lintArtifact, type LintReport } from '../../helpers/oci/lint.js';
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
