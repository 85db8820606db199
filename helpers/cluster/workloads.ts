// Live-test helpers that act on pods through the Kubernetes API: wait for
// a release's pod, run a command in it, and catch image pull failures with
// the kubelet's event message.

import { Writable } from 'node:stream';

import { CoreV1Api, Exec, KubeConfig, type V1Pod, type V1Status } from '@kubernetes/client-node';

import { waitFor } from './wait.js';

/**
 * Budget for a pod to run after an install or upgrade. Image volumes are
 * pulled from a loopback registry, so most of it covers a loaded two-core
 * machine; LIVE_TIMEOUT_MS raises it.
 */
export const POD_READY_TIMEOUT_MS = Number(process.env.LIVE_TIMEOUT_MS) || 120_000;

/** Waiting reasons that a pod does not leave without a change to its spec or the registry. */
const PULL_FAILURE_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName'];
const STUCK_REASONS = [...PULL_FAILURE_REASONS, 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff', 'RunContainerError'];

export interface PodSelector {
  namespace: string;
  /** Label selector, e.g. app.kubernetes.io/instance=web. */
  labelSelector: string;
}

export function kubeConfigFrom(file: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(file);
  return config;
}

/**
 * Waits until exactly one pod matches, runs with all containers ready and
 * is not one of `replacedUids`, and returns it. Gives up early, with the
 * last event, when a container is stuck in a pull or start failure.
 */
export async function waitForRunningPod(core: CoreV1Api, selector: PodSelector, options: { replacedUids?: string[]; timeoutMs?: number } = {}): Promise<V1Pod> {
  const timeoutMs = options.timeoutMs ?? POD_READY_TIMEOUT_MS;
  const replaced = new Set(options.replacedUids ?? []);
  let found: V1Pod | undefined;
  let last = 'no pod yet';

  await waitFor(
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: selector.namespace, labelSelector: selector.labelSelector })).items;
      const current = pods.filter((pod) => !replaced.has(pod.metadata?.uid ?? '') && !pod.metadata?.deletionTimestamp);
      last = `${pods.length} pod(s): ${pods.map(describePod).join('; ') || 'none'}`;
      if (current.length !== 1 || pods.length !== 1) return false;

      const pod = current[0] as V1Pod;
      const stuck = stuckReason(pod);
      if (stuck) throw new Error(`pod/${selector.namespace}/${pod.metadata?.name} is stuck in ${stuck}: ${await lastWarning(core, pod)}`);
      const ready = pod.status?.phase === 'Running' && (pod.status.containerStatuses ?? []).every((status) => status.ready);
      if (ready) found = pod;
      return ready;
    },
    { condition: `one running pod matching ${selector.labelSelector} in namespace ${selector.namespace}`, timeoutMs, describeLast: () => last },
  );
  return found as V1Pod;
}

export interface PullFailure {
  pod: string;
  /** Container waiting reason, e.g. ErrImageNeverPull. */
  reason: string;
  /**
   * The kubelet's message for it: the latest Warning event that names one of
   * the pod's images, such as 'Failed to pull image "…": … not found', else
   * the latest Warning event, else the waiting message.
   */
  message: string;
}

/**
 * Waits until a matching pod's container waits for one of `reasons`, and
 * returns that reason with the kubelet's message. A pod that runs instead
 * fails the wait at once.
 */
export async function waitForPullFailure(core: CoreV1Api, selector: PodSelector, reasons: string[], timeoutMs = POD_READY_TIMEOUT_MS): Promise<PullFailure> {
  let failure: PullFailure | undefined;
  let last = 'no pod yet';

  await waitFor(
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: selector.namespace, labelSelector: selector.labelSelector })).items;
      last = pods.map(describePod).join('; ') || 'no pod yet';
      for (const pod of pods) {
        if (pod.status?.phase === 'Running') throw new Error(`pod/${selector.namespace}/${pod.metadata?.name} runs, but one of ${reasons.join(', ')} was expected`);
        const waiting = pod.status?.containerStatuses?.map((status) => status.state?.waiting).find((state) => state && reasons.includes(state.reason ?? ''));
        if (waiting) {
          const event = await lastWarning(core, pod);
          failure = { pod: pod.metadata?.name ?? '', reason: waiting.reason ?? '', message: event || (waiting.message ?? '') };
          return true;
        }
      }
      return false;
    },
    { condition: `a pod matching ${selector.labelSelector} to wait with ${reasons.join(' or ')}`, timeoutMs, describeLast: () => last },
  );
  return failure as PullFailure;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** Runs `command` in a container, like kubectl exec, and throws when it exits non-zero. */
export async function execInPod(config: KubeConfig, target: { namespace: string; pod: string; container: string }, command: string[]): Promise<ExecResult> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString('utf8'));
        done();
      },
    });

  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(config)
      .exec(target.namespace, target.pod, target.container, command, sink((text) => (stdout += text)), sink((text) => (stderr += text)), null, false, resolve)
      .then((socket) => socket.on('error', reject))
      .catch((error: unknown) => reject(new Error(`exec of ${command.join(' ')} in pod/${target.namespace}/${target.pod} failed: ${(error as Error).message ?? String(error)}`)));
  });

  if (status.status !== 'Success') {
    throw new Error(`${command.join(' ')} in pod/${target.namespace}/${target.pod} failed: ${status.message ?? status.reason ?? 'unknown status'}; stderr: ${stderr.trim()}`);
  }
  return { stdout, stderr };
}

function stuckReason(pod: V1Pod): string | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.map((status) => status.state?.waiting?.reason).find((reason) => reason !== undefined && STUCK_REASONS.includes(reason));
}

function describePod(pod: V1Pod): string {
  const waiting = pod.status?.containerStatuses?.map((status) => status.state?.waiting?.reason).filter(Boolean) ?? [];
  return `${pod.metadata?.name} ${pod.status?.phase ?? 'Unknown'}${waiting.length > 0 ? ` (${waiting.join(', ')})` : ''}`;
}

/**
 * Returns the newest Warning event of a pod as "Reason: message", or an
 * empty string. Events that name one of the pod's image references come
 * first, because the kubelet follows each pull failure with a second,
 * generic event ("Error: ErrImagePull") that names no image.
 */
async function lastWarning(core: CoreV1Api, pod: V1Pod): Promise<string> {
  const namespace = pod.metadata?.namespace ?? '';
  const events = await core
    .listNamespacedEvent({ namespace, fieldSelector: `involvedObject.uid=${pod.metadata?.uid},type=Warning` })
    .catch(() => undefined);
  const sorted = (events?.items ?? []).sort((a, b) => timeOf(a) - timeOf(b));
  const references = [
    ...(pod.spec?.volumes ?? []).map((volume) => volume.image?.reference),
    ...(pod.spec?.containers ?? []).map((container) => container.image),
  ].filter((reference): reference is string => Boolean(reference));
  const namingImage = sorted.filter((event) => references.some((reference) => event.message?.includes(reference)));
  const event = namingImage.at(-1) ?? sorted.at(-1);
  return event ? `${event.reason}: ${event.message}` : '';
}

function timeOf(event: { lastTimestamp?: Date; eventTime?: Date; metadata?: { creationTimestamp?: Date } }): number {
  return new Date(event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp ?? 0).getTime();
}
