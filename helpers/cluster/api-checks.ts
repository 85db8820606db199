// Readiness checks that go through the Kubernetes API: the node, the
// default service account and a smoke pod on the pod network.

import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';

import { NETWORK, NODE_NAME, PAUSE_IMAGE } from './layout.js';
import { waitFor } from './wait.js';

const SMOKE_POD = 'cluster-smoke';

export function coreApi(kubeconfigFile: string): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigFile);
  return config.makeApiClient(CoreV1Api);
}

/** Waits until the node reports Ready, and returns its last condition message otherwise. */
export async function waitForNodeReady(core: CoreV1Api, timeoutMs: number): Promise<void> {
  let last = 'node not registered yet';
  await waitFor(
    async () => {
      const node = await core.readNode({ name: NODE_NAME }).catch(() => undefined);
      const ready = node?.status?.conditions?.find((condition) => condition.type === 'Ready');
      if (ready) last = `Ready=${ready.status}: ${ready.message ?? ready.reason ?? ''}`;
      return ready?.status === 'True';
    },
    { condition: `node/${NODE_NAME} to become Ready`, timeoutMs, describeLast: () => last },
  );
}

/** Waits for the service account that the controller manager creates in each namespace. */
export async function waitForDefaultServiceAccount(core: CoreV1Api, timeoutMs: number): Promise<void> {
  await waitFor(async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }).catch(() => undefined)) !== undefined, {
    condition: 'serviceaccount/default/default, which the controller manager creates',
    timeoutMs,
  });
}

/**
 * Runs a pod from the local pause image and waits until it runs with an
 * address from the pod subnet, which proves scheduling, the container
 * runtime and the CNI bridge. The pod is deleted afterwards.
 */
export async function runSmokePod(core: CoreV1Api, timeoutMs: number): Promise<string> {
  const namespace = 'default';
  await core.deleteNamespacedPod({ name: SMOKE_POD, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  await waitFor(async () => (await core.readNamespacedPod({ name: SMOKE_POD, namespace }).catch(() => undefined)) === undefined, {
    condition: `pod/${namespace}/${SMOKE_POD} from an earlier run to be deleted`,
    timeoutMs,
  });

  const body: V1Pod = {
    metadata: { name: SMOKE_POD },
    spec: {
      containers: [{ name: 'pause', image: PAUSE_IMAGE, imagePullPolicy: 'Never' }],
      terminationGracePeriodSeconds: 0,
    },
  };
  await core.createNamespacedPod({ namespace, body });

  let last = 'not scheduled yet';
  let podIp = '';
  try {
    await waitFor(
      async () => {
        const pod = await core.readNamespacedPod({ name: SMOKE_POD, namespace });
        const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
        const sandboxEvent = waiting ? `${waiting.reason}: ${waiting.message ?? ''}` : '';
        last = `phase ${pod.status?.phase ?? 'unknown'}${sandboxEvent ? `, ${sandboxEvent}` : ''}`;
        podIp = pod.status?.podIP ?? '';
        if (pod.status?.phase === 'Running' && podIp !== '') return true;
        last += await lastEvent(core, namespace);
        return false;
      },
      { condition: `pod/${namespace}/${SMOKE_POD} to run on the pod network`, timeoutMs, describeLast: () => last },
    );
  } finally {
    await core.deleteNamespacedPod({ name: SMOKE_POD, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  }

  const subnetPrefix = NETWORK.podSubnet.split('.').slice(0, 3).join('.');
  if (!podIp.startsWith(`${subnetPrefix}.`)) throw new Error(`pod/${namespace}/${SMOKE_POD} got address ${podIp}, expected one in ${NETWORK.podSubnet}`);
  return podIp;
}

async function lastEvent(core: CoreV1Api, namespace: string): Promise<string> {
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${SMOKE_POD}` }).catch(() => undefined);
  const event = events?.items.at(-1);
  return event ? `; last event ${event.reason}: ${event.message}` : '';
}
