// Collects what a failed live step needs for its post-mortem: the last
// state of the release's workloads and pods, recent events and container
// logs. Prints a short summary and saves everything to the report folder.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { stringify } from 'yaml';

import { describePod, eventTime, type KubeClients } from './kube.js';

const SUMMARY_EVENTS = 10;
const SUMMARY_LOG_LINES = 30;

/** Saves pods, workloads, events and logs of the namespace to `reportDir` and returns a printable summary. */
export async function collectDiagnostics(clients: KubeClients, namespace: string, selector: string, reportDir: string): Promise<string> {
  await mkdir(reportDir, { recursive: true });
  const lines: string[] = [`diagnostics of namespace ${namespace} (saved to ${reportDir}):`];
  const attempt = async (label: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      lines.push(`  could not collect ${label}: ${(error as Error).message}`);
    }
  };

  await attempt('workloads', async () => {
    const statefulSets = (await clients.apps.listNamespacedStatefulSet({ namespace, labelSelector: selector })).items;
    const deployments = (await clients.apps.listNamespacedDeployment({ namespace, labelSelector: selector })).items;
    await writeFile(path.join(reportDir, 'workloads.yaml'), stringify([...statefulSets, ...deployments]));
    for (const set of statefulSets) lines.push(`  statefulset/${namespace}/${set.metadata?.name}: ${JSON.stringify(set.status)}`);
    for (const deployment of deployments) lines.push(`  deployment/${namespace}/${deployment.metadata?.name}: ${JSON.stringify(deployment.status)}`);
  });

  const pods = await clients.core.listNamespacedPod({ namespace }).then((list) => list.items, () => []);
  await attempt('pods', async () => {
    await writeFile(path.join(reportDir, 'pods.yaml'), stringify(pods));
    for (const pod of pods) lines.push(`  ${describePod(pod)}`);
  });

  await attempt('events', async () => {
    const events = (await clients.core.listNamespacedEvent({ namespace })).items.sort((a, b) => eventTime(a) - eventTime(b));
    const text = events.map((event) => `${new Date(eventTime(event)).toISOString()} ${event.type} ${event.involvedObject.kind}/${event.involvedObject.name} ${event.reason}: ${event.message}`);
    await writeFile(path.join(reportDir, 'events.txt'), `${text.join('\n')}\n`);
    lines.push(`  last ${SUMMARY_EVENTS} events:`, ...text.slice(-SUMMARY_EVENTS).map((line) => `    ${line}`));
  });

  for (const pod of pods) {
    for (const container of pod.spec?.containers ?? []) {
      for (const previous of [false, true]) {
        const name = pod.metadata?.name ?? '';
        await attempt(`logs of ${name}/${container.name}`, async () => {
          const log = await clients.core.readNamespacedPodLog({ namespace, name, container: container.name, previous, tailLines: 500 }).catch(() => undefined);
          if (log === undefined || log === '') return;
          await writeFile(path.join(reportDir, `logs-${name}-${container.name}${previous ? '-previous' : ''}.txt`), log);
          if (!previous) lines.push(`  last log lines of ${name}/${container.name}:`, ...log.trimEnd().split('\n').slice(-SUMMARY_LOG_LINES).map((line) => `    ${line}`));
        });
      }
    }
  }

  const summary = lines.join('\n');
  await writeFile(path.join(reportDir, 'summary.txt'), `${summary}\n`);
  return summary;
}
