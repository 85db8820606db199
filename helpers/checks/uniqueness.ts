import { findWorkloads, normalizePath, type Container, type Volume, type Workload } from '../manifest/workloads.ts'
import { readOciSettings } from './oci-values.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { renderFailureFinding, show } from './types.ts'

/** Returns the volume source key, e.g. configMap or image, for messages. */
function volumeSource(volume: Volume): string {
  return Object.keys(volume).find((key) => key !== 'name') ?? 'no source'
}

function duplicateVolumeNames(workload: Workload): Finding[] {
  const findings: Finding[] = []
  const firstIndex = new Map<unknown, number>()
  for (const [index, volume] of (workload.podSpec.volumes ?? []).entries()) {
    const earlier = firstIndex.get(volume.name)
    if (earlier === undefined) {
      firstIndex.set(volume.name, index)
      continue
    }
    const other = workload.podSpec.volumes![earlier]!
    findings.push({
      object: workload.ref,
      path: `${workload.podSpecPath}.volumes[${index}].name`,
      expected: 'a volume name no other volume of the pod uses',
      found: `${show(volume.name)} (${volumeSource(volume)}), also the name of volumes[${earlier}] (${volumeSource(other)})`,
    })
  }
  return findings
}

function duplicateMountPaths(workload: Workload, container: Container, containerPath: string): Finding[] {
  const findings: Finding[] = []
  const firstIndex = new Map<string, number>()
  for (const [index, mount] of (container.volumeMounts ?? []).entries()) {
    if (typeof mount.mountPath !== 'string') continue
    const key = normalizePath(mount.mountPath)
    const earlier = firstIndex.get(key)
    if (earlier === undefined) {
      firstIndex.set(key, index)
      continue
    }
    const other = container.volumeMounts![earlier]!
    findings.push({
      object: workload.ref,
      path: `${containerPath}.volumeMounts[${index}].mountPath`,
      expected: `a mount path no other mount of container ${show(container.name)} uses (trailing slashes ignored)`,
      found: `${show(mount.mountPath)} for volume ${show(mount.name)}, also the path of volumeMounts[${earlier}] (${show(other.mountPath)} for volume ${show(other.name)})`,
    })
  }
  return findings
}

/**
 * Uniqueness: volume names are unique in each pod, and mount paths are unique
 * in each container once trailing slashes are dropped. The API server rejects
 * both kinds of duplicate. A chart may instead reject the values, with an
 * error that names the ociArtifacts field.
 */
export const uniqueness: Check = {
  id: 'uniqueness',
  title: 'volume names and mount paths are unique',
  appliesTo: (target) => !target.cell.rejection && readOciSettings(target.effectiveValues).enabled,
  run(context: CheckContext): Finding[] {
    if (!context.render.ok) {
      return context.render.message.includes('ociArtifacts') ? [] : renderFailureFinding(context)
    }

    const findings: Finding[] = []
    for (const workload of findWorkloads(context.render.documents)) {
      findings.push(...duplicateVolumeNames(workload))
      const groups: Array<['containers' | 'initContainers', Container[]]> = [
        ['containers', workload.podSpec.containers ?? []],
        ['initContainers', workload.podSpec.initContainers ?? []],
      ]
      for (const [field, containers] of groups) {
        for (const [index, container] of containers.entries()) {
          findings.push(...duplicateMountPaths(workload, container, `${workload.podSpecPath}.${field}[${index}]`))
        }
      }
    }
    return findings
  },
}
