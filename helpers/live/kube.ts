// Kubernetes access for the live suites: clients, the API server's service
// proxy as a Perses transport, workload rollout and states that will not
// recover.

import https from 'node:https';

import { AppsV1Api, CoreV1Api, KubeConfig, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';

import type { PersesTransport } from '../perses/client.js';
import { UnrecoverableStateError, waitUntil, type WaitBudget } from '../wait/wait.js';

/** Container waiting reasons that a pod does not leave without a change to its spec or the registry. */
export const STUCK_REASONS = ['ImagePullBackOff', 'ErrImageNeverPull', 'CrashLoopBackOff', 'InvalidImageName', 'CreateContainerConfigError'];

/** Warning event reasons by which the kubelet reports an image or image volume it cannot get. */
const STUCK_EVENT_REASONS = ['ErrImageNeverPull', 'Failed', 'FailedMount'];

export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
}

export function makeKubeClients(kubeconfig: string): KubeClients {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

/**
 * Creates a transport that reaches a service through the API server's
 * service proxy (/api/v1/namespaces/NS/services/NAME:PORT/proxy/...), so
 * no NodePort or host network is needed. Only the first port of the
 * service is used.
 */
export function serviceProxyTransport(config: KubeConfig, namespace: string, service: string, port: number | string): PersesTransport {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster; set a current context');
  const base = `${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${namespace}/services/${service}:${port}/proxy`;

  return async (pathAndQuery) => {
    const url = new URL(`${base}${pathAndQuery}`);
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' }, timeout: 10_000 };
    await config.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
      const request = https.request(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`GET ${url.pathname} through the service proxy timed out after 10s`)));
      request.on('error', reject);
      request.end();
    });
  };
}

/** Returns the newest Warning events of the namespace, oldest first, as "kind/name Reason: message". */
export async function recentWarnings(core: CoreV1Api, namespace: string, limit = 10): Promise<CoreV1Event[]> {
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' });
  return events.items.sort((a, b) => eventTime(a) - eventTime(b)).slice(-limit);
}

export function eventTime(event: CoreV1Event): number {
  return new Date(event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp ?? 0).getTime();
}

/** Returns the reason a pod will not start without outside help, or undefined. */
export function stuckReason(pod: V1Pod): string | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.map((status) => status.state?.waiting?.reason).find((reason) => reason !== undefined && STUCK_REASONS.includes(reason));
}

/** Returns a stuck reason from the pod's Warning events: image volume pulls show there before any container status. */
async function stuckByEvents(core: CoreV1Api, pod: V1Pod): Promise<string | undefined> {
  const events = await core.listNamespacedEvent({ namespace: pod.metadata?.namespace ?? '', fieldSelector: `involvedObject.uid=${pod.metadata?.uid},type=Warning` });
  const pullEvents = events.items.filter((event) => STUCK_EVENT_REASONS.includes(event.reason ?? '') && /pull|image/i.test(event.message ?? ''));
  // One failed pull can be a blip; the kubelet backs off only after repeats.
  const repeated = pullEvents.find((event) => (event.count ?? 1) >= 2 || event.reason === 'ErrImageNeverPull');
  return repeated ? `${repeated.reason}: ${repeated.message}` : undefined;
}

export function describePod(pod: V1Pod): string {
  const waiting = (pod.status?.containerStatuses ?? []).map((status) => status.state?.waiting?.reason).filter(Boolean);
  const ready = (pod.status?.containerStatuses ?? []).every((status) => status.ready);
  return `pod/${pod.metadata?.namespace}/${pod.metadata?.name} ${pod.status?.phase ?? 'Unknown'}${ready ? ' ready' : ''}${waiting.length > 0 ? ` (${waiting.join(', ')})` : ''}`;
}

export interface RolloutOptions {
  namespace: string;
  /** Label selector of the release's workloads and pods. */
  selector: string;
  budget?: WaitBudget | number;
  /** End the wait at once when a pod is stuck; off when the wait watches a stuck pod heal. */
  stopOnStuck?: boolean;
  log?: (line: string) => void;
}

/**
 * Waits until every StatefulSet and Deployment of the selector has rolled
 * out its current spec and every pod is Running and Ready on the newest
 * revision. Returns the pods.
 */
export async function waitForRollout(clients: KubeClients, options: RolloutOptions): Promise<V1Pod[]> {
  const { namespace, selector } = options;

  return waitUntil(
    async () => {
      const statefulSets = (await clients.apps.listNamespacedStatefulSet({ namespace, labelSelector: selector })).items;
      const deployments = (await clients.apps.listNamespacedDeployment({ namespace, labelSelector: selector })).items;
      const pods = (await clients.core.listNamespacedPod({ namespace, labelSelector: selector })).items;
      if (statefulSets.length + deployments.length === 0) return { pending: `no StatefulSet or Deployment matches ${selector}` };

      if (options.stopOnStuck !== false) {
        // A pod being deleted keeps its old failures until it is gone; only
        // the pods that will stay can be stuck.
        for (const pod of pods.filter((candidate) => !candidate.metadata?.deletionTimestamp)) {
          const reason = stuckReason(pod) ?? (pod.status?.phase === 'Pending' ? await stuckByEvents(clients.core, pod) : undefined);
          if (reason) throw new UnrecoverableStateError(`${describePod(pod)} is stuck: ${reason}`);
        }
      }

      for (const set of statefulSets) {
        const status = set.status;
        const replicas = set.spec?.replicas ?? 1;
        const settled =
          (status?.observedGeneration ?? 0) >= (set.metadata?.generation ?? 0) &&
          status?.updateRevision === status?.currentRevision &&
          (status?.readyReplicas ?? 0) === replicas &&
          (status?.updatedReplicas ?? 0) === replicas;
        if (!settled) return { pending: `statefulset/${namespace}/${set.metadata?.name}: ${status?.readyReplicas ?? 0}/${replicas} ready, revision ${status?.currentRevision} -> ${status?.updateRevision}; ${pods.map(describePod).join('; ')}` };
      }
      for (const deployment of deployments) {
        const status = deployment.status;
        const replicas = deployment.spec?.replicas ?? 1;
        const settled =
          (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
          (status?.updatedReplicas ?? 0) === replicas &&
          (status?.availableReplicas ?? 0) === replicas &&
          (status?.replicas ?? 0) === replicas;
        if (!settled) return { pending: `deployment/${namespace}/${deployment.metadata?.name}: ${status?.updatedReplicas ?? 0}/${replicas} updated; ${pods.map(describePod).join('; ')}` };
      }

      const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
      const allReady = live.length > 0 && live.every((pod) => pod.status?.phase === 'Running' && (pod.status.containerStatuses ?? []).every((status) => status.ready));
      return allReady && live.length === pods.length ? live : { pending: pods.map(describePod).join('; ') || 'no pod yet' };
    },
    { what: `the rollout of ${selector} in namespace ${namespace}`, budget: options.budget ?? 'rollout', ...(options.log ? { log: options.log } : {}) },
  );
}
