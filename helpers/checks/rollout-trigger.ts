import { findPersesContainer, findWorkloads, type Workload } from '../manifest/workloads.ts'
import { getPath, withPath, type Values } from '../render/values.ts'
import { compareKubeVersions } from './kube-version-gating.ts'
import { locateOciMounts } from './oci-mount.ts'
import { readOciSettings } from './oci-values.ts'
import type { Check, CheckContext, CheckTarget, CompanionRequest, Finding } from './types.ts'
import { renderFailureFinding, show } from './types.ts'

/** A change to one value that Perses reads only at start. */
interface StartupChange {
  label: string
  path: string
  /** Returns the changed value, or undefined when the change does not apply to this cell. */
  change: (current: unknown, target: CheckTarget) => unknown
}

const DIGEST = /@sha256:[0-9a-f]{64}$/

/** Returns a different reference of the same repository: another tag, or another digest. */
export function changeReference(reference: string): string {
  if (DIGEST.test(reference)) {
    const last = reference.at(-1)!
    return `${reference.slice(0, -1)}${last === '0' ? '1' : '0'}`
  }
  const lastSlash = reference.lastIndexOf('/')
  const tagStart = reference.indexOf(':', lastSlash + 1)
  return tagStart >= 0 ? `${reference}-next` : `${reference}:next`
}

const STARTUP_CHANGES: StartupChange[] = [
  {
    label: 'config file changed (config.provisioning.interval)',
    path: 'config.provisioning.interval',
    change: (current) => (current === '7m' ? '8m' : '7m'),
  },
  {
    label: 'artifact reference changed',
    path: 'ociArtifacts.image.reference',
    change: (current) => (typeof current === 'string' ? changeReference(current) : undefined),
  },
  {
    label: 'subPath changed',
    path: 'ociArtifacts.subPath',
    // subPath on an image volume needs Kubernetes 1.33 (schemas/kubernetes-image-volume.json).
    change: (current, target) => (compareKubeVersions(target.cell.kubeVersion, '1.33') < 0 ? undefined : `${typeof current === 'string' && current ? current : 'rollout'}-next`),
  },
  {
    label: 'mountPath changed',
    path: 'ociArtifacts.mountPath',
    change: (current) => (typeof current === 'string' ? `${current.replace(/\/+$/, '')}/next` : undefined),
  },
]

/** Returns the cell's values with one path changed, or undefined when the change does not apply. */
function changedValues(target: CheckTarget, change: StartupChange): Values | undefined {
  const next = change.change(getPath(target.effectiveValues, change.path), target)
  if (next === undefined) return undefined
  return withPath(target.cell.values, change.path, next)
}

/**
 * Returns the workloads that run Perses and keep running. Helm hooks, such
 * as a `helm test` pod, run once per release command, so no rollout applies.
 */
function persesWorkloads(documents: Parameters<typeof findWorkloads>[0]): Workload[] {
  return findWorkloads(documents).filter((workload) => findPersesContainer(workload) && workload.object.metadata?.annotations?.['helm.sh/hook'] === undefined)
}

function podTemplateOf(workload: Workload): unknown {
  if (workload.podSpecPath === 'spec') return workload.object.spec
  return getPath(workload.object, workload.podSpecPath.replace(/\.spec$/, ''))
}

/** Returns the rendered pull policy the kubelet applies: the explicit one, else the Kubernetes default for the tag. */
export function effectivePullPolicy(reference: string, pullPolicy: unknown): { policy: string; defaulted: boolean } {
  if (typeof pullPolicy === 'string' && pullPolicy !== '') return { policy: pullPolicy, defaulted: false }
  // As Kubernetes parses image names: no tag and no digest means the tag latest.
  // NOTE: the image volume API documents only the :latest case; the no-tag
  // case follows the container image rule, which the reference field copies.
  const [name = '', digest] = reference.split('@')
  const tag = name.slice(name.lastIndexOf('/') + 1).split(':')[1] ?? (digest === undefined ? 'latest' : undefined)
  return { policy: tag === 'latest' ? 'Always' : 'IfNotPresent', defaulted: true }
}

function referenceFindings(context: CheckContext): Finding[] {
  const findings: Finding[] = []
  const oci = readOciSettings(context.effectiveValues)
  if (typeof oci.reference !== 'string') return findings
  const lookup = locateOciMounts(context)
  // The lookup matches the reference exactly, so a digest that lost a character shows up here.
  if (DIGEST.test(oci.reference)) return lookup.findings.map((finding) => ({ ...finding, expected: `${finding.expected}, the digest reference intact` }))

  for (const located of lookup.mounts) {
    const rendered = located.volume.image?.reference
    const path = `${located.volumePath}.image`
    if (typeof rendered !== 'string') continue

    const { policy, defaulted } = effectivePullPolicy(rendered, located.volume.image?.pullPolicy)
    if (policy === 'Always') continue
    const policySource = defaulted ? `pullPolicy unset, which Kubernetes defaults to ${policy} for this tag` : `pullPolicy ${policy}`
    findings.push({
      severity: 'warning',
      object: located.workload.ref,
      path,
      expected: 'an immutable reference, so every node mounts the same content',
      found: `mutable reference ${show(rendered)} with ${policySource}: a node that already has the tag keeps its old content after the tag moves; pin a digest (repository@sha256:<digest>, also allowed after a tag) or set pullPolicy Always`,
    })
  }
  return findings
}

/**
 * Rollout trigger: changing what Perses reads at start (its config file,
 * the artifact reference, subPath or mountPath) changes the pod template, or
 * running pods keep the old state until something else restarts them. Each
 * change is a companion render of the cell. A mutable tag whose pull policy
 * is not Always gets a warning, since re-pushing the tag changes nothing the
 * chart renders.
 */
export const rolloutTrigger: Check = {
  id: 'rollout-trigger',
  title: 'startup changes roll the pods',
  appliesTo: (target) => !target.cell.rejection && readOciSettings(target.effectiveValues).enabled,
  companions: (target) =>
    STARTUP_CHANGES.flatMap((change): CompanionRequest[] => {
      const values = changedValues(target, change)
      return values ? [{ label: change.label, values }] : []
    }),
  run(context: CheckContext): Finding[] {
    if (!context.render.ok) return renderFailureFinding(context)
    const findings: Finding[] = []
    const baseWorkloads = persesWorkloads(context.render.documents)

    for (const companion of context.companions ?? []) {
      // A change the chart rejects cannot leave pods stale, so it has nothing to compare.
      if (!companion.render.ok) continue
      const change = STARTUP_CHANGES.find((candidate) => candidate.label === companion.label)!
      const changedWorkloads = persesWorkloads(companion.render.documents)
      for (const workload of baseWorkloads) {
        const counterpart = changedWorkloads.find((candidate) => candidate.ref === workload.ref)
        if (!counterpart) continue
        const before = JSON.stringify(podTemplateOf(workload))
        if (before !== JSON.stringify(podTemplateOf(counterpart))) continue
        findings.push({
          object: workload.ref,
          path: workload.podSpecPath.replace(/\.spec$/, '') || 'spec',
          expected: `the pod template to change when ${change.path} changes from ${show(getPath(context.effectiveValues, change.path))} to ${show(getPath(companion.effectiveValues, change.path))}`,
          found: 'the same pod template, so running pods keep what they read at start (a checksum annotation of the config is the usual fix)',
        })
      }
    }
    return [...findings, ...referenceFindings(context)]
  },
}
