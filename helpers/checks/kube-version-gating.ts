import { readFileSync } from 'node:fs'
import { findWorkloads, type Workload } from '../manifest/workloads.ts'
import { readOciSettings } from './oci-values.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { show } from './types.ts'

interface GatedFeature {
  id: string
  field: string
  minKubeVersion: string
  featureGate: string
  sources: string[]
}

interface GateStage {
  from: string
  to?: string
  stage: string
  enabledByDefault: boolean
  sources: string[]
  note?: string
}

/** The table in schemas/kubernetes-image-volume.json: what each Kubernetes version accepts. */
export interface ImageVolumeTable {
  sources: Record<string, { url: string; states: string }>
  features: GatedFeature[]
  featureGateStages: GateStage[]
}

export const IMAGE_VOLUME_TABLE = JSON.parse(readFileSync(new URL('../../schemas/kubernetes-image-volume.json', import.meta.url), 'utf8')) as ImageVolumeTable

/** Compares two `major.minor[.patch]` Kubernetes versions, ignoring a leading v. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (version: string) => version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0)
  const [left, right] = [parse(a), parse(b)]
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

function feature(id: string): GatedFeature {
  const found = IMAGE_VOLUME_TABLE.features.find((candidate) => candidate.id === id)
  if (!found) throw new Error(`schemas/kubernetes-image-volume.json has no feature ${id}`)
  return found
}

/** Returns the feature-gate stage of a Kubernetes version, or undefined below the first stage. */
export function gateStage(kubeVersion: string): GateStage | undefined {
  return IMAGE_VOLUME_TABLE.featureGateStages.find((stage) => {
    const minor = kubeVersion.split('.').slice(0, 2).join('.')
    return compareKubeVersions(minor, stage.from) >= 0 && (stage.to === undefined || compareKubeVersions(minor, stage.to) <= 0)
  })
}

/** The Kubernetes documentation page a finding links; the table lists every source it used. */
const IMAGE_VOLUME_DOCS = 'https://kubernetes.io/docs/tasks/configure-pod-container/image-volumes/'

/** Returns a table row as the reason a finding gives. */
function describeRow(row: GatedFeature): string {
  return `${row.field} needs Kubernetes ${row.minKubeVersion} or later (feature ${row.id} in schemas/kubernetes-image-volume.json, with its sources; see ${IMAGE_VOLUME_DOCS})`
}

function gatedFindings(workload: Workload, kubeVersion: string): Finding[] {
  const findings: Finding[] = []
  const imageVolume = feature('image-volume')
  const subPath = feature('image-volume-sub-path')
  const volumes = workload.podSpec.volumes ?? []
  const imageVolumeNames = new Set(volumes.filter((volume) => volume.image !== undefined).map((volume) => volume.name))

  if (compareKubeVersions(kubeVersion, imageVolume.minKubeVersion) < 0) {
    for (const [index, volume] of volumes.entries()) {
      if (volume.image === undefined) continue
      findings.push({ object: workload.ref, path: `${workload.podSpecPath}.volumes[${index}].image`, expected: `no image volume on Kubernetes ${kubeVersion}, or a rejection, because ${describeRow(imageVolume)}`, found: `image volume ${show(volume.name)}` })
    }
  }
  if (compareKubeVersions(kubeVersion, subPath.minKubeVersion) < 0) {
    for (const [containerIndex, container] of (workload.podSpec.containers ?? []).entries()) {
      for (const [mountIndex, mount] of (container.volumeMounts ?? []).entries()) {
        if (!imageVolumeNames.has(mount.name) || (mount.subPath === undefined && mount.subPathExpr === undefined)) continue
        findings.push({ object: workload.ref, path: `${workload.podSpecPath}.containers[${containerIndex}].volumeMounts[${mountIndex}].subPath`, expected: `no subPath on Kubernetes ${kubeVersion}, or a rejection, because ${describeRow(subPath)}`, found: show(mount.subPath ?? mount.subPathExpr) })
      }
    }
  }
  return findings
}

/**
 * Kubernetes version gating, from the table in
 * schemas/kubernetes-image-volume.json: below a feature's first version the
 * chart rejects the values or leaves the field out. On versions where the
 * ImageVolume feature gate is off by default, a rendered image volume gets a
 * warning, because the cluster admin has to turn the gate on.
 */
export const kubeVersionGating: Check = {
  id: 'kube-version-gating',
  title: 'image volume fields only where Kubernetes has them',
  appliesTo: (target) => !target.cell.rejection && readOciSettings(target.effectiveValues).enabled,
  run(context: CheckContext): Finding[] {
    // Rejecting is always allowed here; whether valid values should render is the other checks' call.
    if (!context.render.ok) return []

    const kubeVersion = context.cell.kubeVersion
    const findings: Finding[] = []
    for (const workload of findWorkloads(context.render.documents)) {
      findings.push(...gatedFindings(workload, kubeVersion))

      const stage = gateStage(kubeVersion)
      const hasImageVolume = (workload.podSpec.volumes ?? []).some((volume) => volume.image !== undefined)
      if (hasImageVolume && stage && !stage.enabledByDefault) {
        findings.push({
          severity: 'warning',
          object: workload.ref,
          path: `${workload.podSpecPath}.volumes`,
          expected: `a cluster with the ImageVolume feature gate on: it is ${stage.stage} and off by default in Kubernetes ${stage.from}${stage.to ? `–${stage.to}` : '+'}`,
          found: 'an image volume, which a cluster with the gate off cannot run',
        })
      }
    }
    return findings
  },
}
