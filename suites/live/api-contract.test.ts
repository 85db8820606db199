// Defines the Perses behaviour the live suites rely on, and checks it on
// the stand-in (always) and on a real Perses when PERSES_BIN or PERSES_URL
// names one: provisioning from folders, the file database across restarts,
// and the read API.

import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { contractTargetSpecs, makeLowerCaseTempDir, openContractTarget, type ContractTarget } from '../../helpers/perses/contract-target.js';
import { removeProvisioningFile, writeProvisioningFile } from '../../helpers/perses/provisioning-folder.js';
import { startPassCounter, type PassCounter } from '../../helpers/perses/passes.js';
import { dashboardResource, datasourceResource, projectResource, resourceFileContent, specDigest } from '../../helpers/perses/resources.js';

const RUN_ID = randomBytes(3).toString('hex');

for (const spec of contractTargetSpecs()) {
  const title = spec.skipReason ? `Perses API contract on ${spec.name} (skipped: ${spec.skipReason})` : `Perses API contract on ${spec.name}`;

  describe.skipIf(spec.skipReason !== undefined).sequential(title, () => {
    let target: ContractTarget;
    let passes: PassCounter;

    /** A project name unique to this run and case, so a shared server keeps cases apart. */
    const projectName = (slug: string): string => `c-${RUN_ID}-${slug}`;
    const write = (relativePath: string, content: string): Promise<void> => writeProvisioningFile(target.provisioningDir, relativePath, content);

    beforeAll(async () => {
      target = await openContractTarget(spec);
      passes = await startPassCounter(target.client, target.provisioningDir, projectName('sentinel'), target.intervalMs);
    });

    afterAll(async () => {
      await target?.dispose();
    });

    it('health: returns 200 with database true and no provisioning state', async () => {
      const health = await target.client.health();

      expect(health.database).toBe(true);
      expect(Object.keys(health).sort()).toEqual(['buildTime', 'commit', 'database', 'version']);
    });

    it('provisioning: loads every served kind from nested folders', async () => {
      const project = projectName('kinds');
      const dashboard = dashboardResource(project, 'overview', 'v1');

      await write(`kinds/projects/${project}.json`, resourceFileContent(projectResource(project)));
      await write(`kinds/datasources/${project}/prometheus.json`, resourceFileContent(datasourceResource(project, 'prometheus')));
      await write(`kinds/global/${project}-global.json`, resourceFileContent(datasourceResource(project, `${project}-global`, { global: true })));
      await write(`kinds/dashboards/${project}/deeper/still/overview.json`, resourceFileContent(dashboard));
      await passes.waitForPasses();

      expect((await target.client.listProjects()).map((item) => item.metadata.name)).toContain(project);
      expect((await target.client.listDatasources(project)).map((item) => item.metadata.name)).toEqual(['prometheus']);
      expect((await target.client.getDatasource(project, 'prometheus'))?.metadata.project).toBe(project);
      expect((await target.client.getGlobalDatasource(`${project}-global`))?.kind).toBe('GlobalDatasource');
      expect((await target.client.listGlobalDatasources()).map((item) => item.metadata.name)).toContain(`${project}-global`);
      expect((await target.client.listDashboards(project)).map((item) => item.metadata.name)).toEqual(['overview']);
      expect((await target.client.listDashboards()).filter((item) => item.metadata.project === project)).toHaveLength(1);
      const stored = await target.client.getDashboard(project, 'overview');
      expect(specDigest(stored?.spec, dashboard.spec)).toBe(specDigest(dashboard.spec));
    });

    it('provisioning: loads a project before its resources whatever the file order', async () => {
      const project = projectName('order');

      // Walk order is lexical, so the dashboard file is read first.
      await write('order/00-dashboard.json', resourceFileContent(dashboardResource(project, 'early', 'v1')));
      await write('order/zz-project.json', resourceFileContent(projectResource(project)));
      await passes.waitForPasses(1);

      expect((await target.client.getDashboard(project, 'early'))?.metadata.name).toBe('early');
    });

    it('provisioning: rejects resources of a missing project', async () => {
      const missing = projectName('missing');

      await write('missing/orphan.json', resourceFileContent(dashboardResource(missing, 'orphan', 'v1')));
      await passes.waitForPasses();

      const everywhere = await target.client.listDashboards();
      expect(everywhere.filter((item) => item.metadata.project === missing)).toEqual([]);
      const inMissing = await target.client.get(`/api/v1/projects/${missing}/dashboards`);
      expect(inMissing.status).toBe(400);
      expect(inMissing.body).toContain(`metadata.project \\"${missing}\\" doesn't exist`);
    });

    it('provisioning: updates a changed file and never deletes', async () => {
      const project = projectName('update');
      const v1 = dashboardResource(project, 'changing', 'v1');
      const v2 = dashboardResource(project, 'changing', 'v2');
      await write('update/project.json', resourceFileContent(projectResource(project)));
      await write('update/changing.json', resourceFileContent(v1));
      await passes.waitForPasses();
      const first = await target.client.getDashboard(project, 'changing');

      await write('update/changing.json', resourceFileContent(v2));
      await passes.waitForPasses();
      const second = await target.client.getDashboard(project, 'changing');
      await removeProvisioningFile(target.provisioningDir, 'update/changing.json');
      await passes.waitForPasses();
      const afterRemoval = await target.client.getDashboard(project, 'changing');

      expect(specDigest(first?.spec, v1.spec)).toBe(specDigest(v1.spec));
      expect(specDigest(second?.spec, v2.spec)).toBe(specDigest(v2.spec));
      expect(second?.metadata.createdAt).toBe(first?.metadata.createdAt);
      expect(second?.metadata.version).toBeGreaterThan(first?.metadata.version ?? Infinity);
      expect(afterRemoval).toBeDefined();
      expect(specDigest(afterRemoval?.spec, v2.spec)).toBe(specDigest(v2.spec));
    });

    it('provisioning: lower-cases names and projects', async () => {
      const project = projectName('case');
      const upperProject = project.toUpperCase();

      await write('case/project.json', resourceFileContent(projectResource(upperProject)));
      await write('case/dashboard.json', resourceFileContent(dashboardResource(upperProject, 'MixedCase', 'v1')));
      await passes.waitForPasses();

      const listed = await target.client.listDashboards(project);
      expect(listed.map((item) => item.metadata.name)).toEqual(['mixedcase']);
      expect(listed[0]?.metadata.project).toBe(project);
      expect((await target.client.getDashboard(upperProject, 'MIXEDCASE'))?.metadata.name).toBe('mixedcase');
    });

    it('provisioning: reads .json, .yaml and .yml and ignores other extensions', async () => {
      const project = projectName('ext');
      const asYaml = (name: string): string =>
        [`kind: Dashboard`, `metadata:`, `  name: ${name}`, `  project: ${project}`, `spec:`, `  duration: 1h`, `  panels: {}`, `  layouts: []`, ''].join('\n');
      await write('ext/project.yaml', ['kind: Project', 'metadata:', `  name: ${project}`, ''].join('\n'));

      await write('ext/a/b/c/from-yml.yml', asYaml('from-yml'));
      await write('ext/from-yaml.yaml', asYaml('from-yaml'));
      await write('ext/json-in-yaml-file.yaml', resourceFileContent(dashboardResource(project, 'json-in-yaml-file', 'v1')));
      await write('ext/ignored.txt', asYaml('from-txt'));
      await write('ext/ignored.json.bak', resourceFileContent(dashboardResource(project, 'from-bak', 'v1')));
      await write('ext/ignored.JSON', resourceFileContent(dashboardResource(project, 'from-upper-case-extension', 'v1')));
      await passes.waitForPasses();

      const names = (await target.client.listDashboards(project)).map((item) => item.metadata.name).sort();
      expect(names).toEqual(['from-yaml', 'from-yml', 'json-in-yaml-file']);
    });

    it('provisioning: loads lists and skips only the invalid file', async () => {
      const project = projectName('files');

      await write('files/list.json', resourceFileContent([projectResource(project), dashboardResource(project, 'listed-one', 'v1'), dashboardResource(project, 'listed-two', 'v1')]));
      await write('files/invalid-name.json', resourceFileContent(dashboardResource(project, 'not a valid name', 'v1')));
      await write('files/invalid-in-list.json', resourceFileContent([dashboardResource(project, 'valid-beside-invalid', 'v1'), { kind: 'Dashboard', metadata: { name: 'empty-spec', project }, spec: {} }]));
      await write('files/not-json.json', '{ "kind": "Dashboard", ');
      await write('files/valid.json', resourceFileContent(dashboardResource(project, 'valid', 'v1')));
      await passes.waitForPasses();

      const names = (await target.client.listDashboards(project)).map((item) => item.metadata.name).sort();
      expect(names).toEqual(['listed-one', 'listed-two', 'valid']);
    });

    it.skipIf(spec.name === 'PERSES_URL')('file database: keeps resources on its folder across a restart', async () => {
      const project = projectName('restart');
      await write('restart/project.json', resourceFileContent(projectResource(project)));
      await write('restart/kept.json', resourceFileContent(dashboardResource(project, 'kept', 'v1')));
      await passes.waitForPasses();

      await removeProvisioningFile(target.provisioningDir, 'restart/kept.json');
      await target.local?.restart();
      await passes.waitForPasses(1);

      expect((await target.client.getDashboard(project, 'kept'))?.metadata.name).toBe('kept');
    });

    it.skipIf(spec.name === 'PERSES_URL')('file database: an empty folder forgets what is no longer provisioned', async () => {
      const project = projectName('fresh');
      await write('fresh/project.json', resourceFileContent(projectResource(project)));
      await write('fresh/gone.json', resourceFileContent(dashboardResource(project, 'gone', 'v1')));
      await write('fresh/stays.json', resourceFileContent(dashboardResource(project, 'stays', 'v1')));
      await passes.waitForPasses();

      await removeProvisioningFile(target.provisioningDir, 'fresh/gone.json');
      // An emptyDir after a pod restart is such an empty folder.
      await target.local?.restart({ databaseDir: await makeLowerCaseTempDir('perses-empty-db-') });
      await passes.waitForPasses(1);

      expect((await target.client.listDashboards(project)).map((item) => item.metadata.name)).toEqual(['stays']);
    });
  });
}
