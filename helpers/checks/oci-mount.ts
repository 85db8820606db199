import { findPersesContainer, findWorkloads, type Container, type Volume, type VolumeMount, type Workload } from '../manifest/workloads.ts'
import type { CheckContext, Finding } from './types.ts'
import { readOciSettings } from './oci-values.ts'

/** Location of the OCI artifact in one workload, with dotted paths for messages. */
export interface OciMount {
  workload: Workload
  volume: Volume
  volumePath: string
  container: Container
  containerPath: string
  mount: VolumeMount
  mountPath: string
}

export type OciMountLookup = { mounts: OciMount[]; findings: Finding[] }

/**
 * Finds, in every workload that runs the Perses container, the image volume
 * that carries `ociArtifacts.image.reference` and its mount in the Perses
 * container. What is missing comes back as findings.
 */
export function locateOciMounts(context: CheckContext): OciMountLookup {
  const mounts: OciMount[] = []
  const findings: Finding[] = []
  if (!context.render.ok) return { mounts, findings }
  const oci = readOciSettings(context.effectiveValues)

  const workloads = findWorkloads(context.render.documents).filter((workload) => findPersesContainer(workload))
  if (workloads.length === 0) {
    findings.push({ expected: 'a workload running the Perses container (started with --config=…, or named perses)', found: 'none in the rendered manifest' })
  }

  for (const workload of workloads) {
    const { container, index } = findPersesContainer(workload)!
    const volumes = workload.podSpec.volumes ?? []
    const matches = volumes
      .map((volume, volumeIndex) => ({ volume, volumeIndex }))
      .filter(({ volume }) => volume.image !== undefined && volume.image?.reference === oci.reference)
    const volumesPath = `${workload.podSpecPath}.volumes`
    if (matches.length === 0) {
      const imageVolumes = volumes.filter((volume) => volume.image !== undefined).map((volume) => volume.image?.reference)
      findings.push({
        object: workload.ref,
        path: volumesPath,
        expected: `an image volume with reference ${JSON.stringify(oci.reference)}`,
        found: imageVolumes.length > 0 ? `image volumes with references ${JSON.stringify(imageVolumes)}` : 'no image volume at all (the chart dropped ociArtifacts here)',
      })
      continue
    }
    if (matches.length > 1) {
      findings.push({ object: workload.ref, path: volumesPath, expected: 'one image volume for the artifact', found: `${matches.length}` })
    }

    const { volume, volumeIndex } = matches[0]!
    const containerPath = `${workload.podSpecPath}.containers[${index}]`
    const mountIndex = (container.volumeMounts ?? []).findIndex((mount) => mount.name === volume.name)
    if (mountIndex < 0) {
      const elsewhere = (workload.podSpec.containers ?? []).filter((other) => other !== container && (other.volumeMounts ?? []).some((mount) => mount.name === volume.name))
      findings.push({
        object: workload.ref,
        path: `${containerPath}.volumeMounts`,
        expected: `the Perses container ${JSON.stringify(container.name)} to mount volume ${JSON.stringify(volume.name)}`,
        found: elsewhere.length > 0 ? `it is mounted only in ${elsewhere.map((other) => JSON.stringify(other.name)).join(', ')}` : 'no container mounts it',
      })
      continue
    }

    mounts.push({
      workload,
      volume,
      volumePath: `${volumesPath}[${volumeIndex}]`,
      container,
      containerPath,
      mount: container.volumeMounts![mountIndex]!,
      mountPath: `${containerPath}.volumeMounts[${mountIndex}]`,
    })
  }
  return { mounts, findings }
}
