// One live scenario: its own namespace and Helm release, steps printed
// with ✓/✗ and elapsed time, timings and findings saved to
// reports/live/<scenario>/, diagnostics on failure and cleanup after.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

import { runHelm, type HelmTarget } from '../cluster/helm-release.js';
import { formatDuration } from '../cluster/report.js';
import { PersesClient } from '../perses/client.js';
import { waitUntil } from '../wait/wait.js';
import { collectDiagnostics } from './diagnostics.js';
import { serviceProxyTransport, waitForRollout, type KubeClients } from './kube.js';

export interface LiveContext {
  clients: KubeClients;
  kubeconfig: string;
  helmPath: string;
  chart: string;
  reportRoot: string;
}

export interface StepTiming {
  step: string;
  durationMs: number;
  ok: boolean;
}

/** A live scenario; call `run` once with the scenario's steps. */
export class LiveScenario {
  readonly namespace: string;
  readonly release = 'perses';
  readonly reportDir: string;
  readonly selector: string;
  readonly timings: StepTiming[] = [];
  readonly findings: string[] = [];
  private readonly startedMs = Date.now();
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(
    readonly context: LiveContext,
    readonly name: string,
  ) {
    this.namespace = `live-${name}-${randomBytes(3).toString('hex')}`.slice(0, 63);
    this.reportDir = path.join(context.reportRoot, name);
    this.selector = `app.kubernetes.io/instance=${this.release}`;
  }

  log(line: string): void {
    process.stdout.write(`[${this.name}] ${line}\n`);
  }

  /** Runs `work` as a named step, printing ✓ or ✗ with its time and the time since the scenario started. */
  async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const startedMs = Date.now();
    this.log(`• ${name}`);
    try {
      const result = await work();
      this.timings.push({ step: name, durationMs: Date.now() - startedMs, ok: true });
      this.log(`✓ ${name} (${formatDuration(Date.now() - startedMs)}, ${formatDuration(Date.now() - this.startedMs)} into the scenario)`);
      return result;
    } catch (error) {
      this.timings.push({ step: name, durationMs: Date.now() - startedMs, ok: false });
      this.failure ??= `step "${name}": ${(error as Error).message}`;
      this.log(`✗ ${name} (${formatDuration(Date.now() - startedMs)})`);
      throw new Error(`${this.name}, step "${name}": ${(error as Error).message}`, { cause: error });
    }
  }

  /** The first error of a failed scenario, for its report. */
  private failure: string | undefined;

  /** Records a finding: a behaviour worth reporting that does not fail the scenario. */
  finding(text: string): void {
    this.findings.push(text);
    this.log(`finding: ${text}`);
  }

  /** Registers cleanup work that runs after the namespace is deleted, e.g. removing a PersistentVolume. */
  onCleanup(work: () => Promise<void>): void {
    this.cleanups.push(work);
  }

  /**
   * Creates the namespace, runs `body`, then saves timings and findings. On
   * failure it saves diagnostics first. The namespace goes in both cases
   * unless LIVE_KEEP_ON_FAILURE=1 and the scenario failed.
   */
  async run(body: (scenario: LiveScenario) => Promise<void>): Promise<void> {
    let failed = false;
    try {
      await mkdir(this.reportDir, { recursive: true });
      await this.step(`create namespace ${this.namespace}`, () => this.context.clients.core.createNamespace({ body: { metadata: { name: this.namespace, labels: { 'perses-oci-conformance/live': 'true' } } } }));
      await body(this);
    } catch (error) {
      failed = true;
      this.failure ??= (error as Error).message;
      this.log(`✗ failed: ${(error as Error).message}`);
      this.log(await collectDiagnostics(this.context.clients, this.namespace, this.selector, this.reportDir).catch((collectError: Error) => `diagnostics failed: ${collectError.message}`));
      throw error;
    } finally {
      await this.saveReport(failed);
      if (failed && process.env.LIVE_KEEP_ON_FAILURE === '1') {
        this.log(`keeping namespace ${this.namespace} because LIVE_KEEP_ON_FAILURE=1; delete it with: kubectl delete namespace ${this.namespace}`);
      } else {
        await this.removeNamespace();
        for (const cleanup of this.cleanups) await cleanup().catch((error: Error) => this.log(`cleanup failed: ${error.message}`));
      }
    }
  }

  private async saveReport(failed: boolean): Promise<void> {
    const lines = [`# ${this.name}`, '', `namespace ${this.namespace}, ${failed ? 'failed' : 'passed'}`, '', '## Steps', '', '| step | time | result |', '| --- | --- | --- |'];
    for (const timing of this.timings) lines.push(`| ${timing.step} | ${formatDuration(timing.durationMs)} | ${timing.ok ? '✓' : '✗'} |`);
    if (this.failure) lines.push('', '## Failure', '', '```', this.failure, '```', '', 'events.txt, pods.yaml, workloads.yaml and the container logs beside this file hold the diagnostics.');
    lines.push('', '## Findings', '', ...(this.findings.length > 0 ? this.findings.map((finding) => `- ${finding}`) : ['none']), '');
    await mkdir(this.reportDir, { recursive: true });
    await writeFile(path.join(this.reportDir, 'report.md'), lines.join('\n'));
    await writeFile(path.join(this.reportDir, 'timings.json'), `${JSON.stringify(this.timings, null, 2)}\n`);
  }

  private async removeNamespace(): Promise<void> {
    const core = this.context.clients.core;
    await this.step(`delete namespace ${this.namespace}`, async () => {
      await core.deleteNamespace({ name: this.namespace }).catch(() => undefined);
      await waitUntil(
        async () => {
          const found = await core.readNamespace({ name: this.namespace }).then(
            (namespace) => namespace.status?.phase ?? 'Unknown',
            () => undefined,
          );
          return found === undefined ? true : { pending: `namespace ${this.namespace} is ${found}` };
        },
        { what: `namespace ${this.namespace} to be deleted`, budget: 'namespaceDeletion' },
      );
    });
  }

  private helmTarget(): HelmTarget {
    return { helmPath: this.context.helmPath, kubeconfig: this.context.kubeconfig, namespace: this.namespace };
  }

  install(values: Record<string, unknown>): Promise<string> {
    return runHelm(this.helmTarget(), ['install', this.release, this.context.chart], values);
  }

  upgrade(values: Record<string, unknown>): Promise<string> {
    return runHelm(this.helmTarget(), ['upgrade', this.release, this.context.chart], values);
  }

  rollback(revision: number): Promise<string> {
    return runHelm(this.helmTarget(), ['rollback', this.release, String(revision)]);
  }

  waitForRollout(options: { stopOnStuck?: boolean; budget?: number | 'rollout' | 'selfHeal' | 'pullFailure' } = {}) {
    return waitForRollout(this.context.clients, { namespace: this.namespace, selector: this.selector, log: (line) => this.log(line), ...options });
  }

  /** Returns a Perses client that goes through the API server's proxy to the release's service. */
  async persesClient(): Promise<PersesClient> {
    const services = (await this.context.clients.core.listNamespacedService({ namespace: this.namespace, labelSelector: this.selector })).items;
    const service = services[0];
    const port = service?.spec?.ports?.[0];
    if (!service || !port) throw new Error(`no service with a port matches ${this.selector} in namespace ${this.namespace}; the chart must render one for the Perses API`);
    return new PersesClient(serviceProxyTransport(this.context.clients.config, this.namespace, service.metadata?.name ?? '', port.name ?? port.port));
  }
}
