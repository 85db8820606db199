import { findWorkloads } from '../manifest/workloads.ts'
import { readOciSettings } from './oci-values.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { renderFailureFinding, show } from './types.ts'

/**
 * Off by default: with ociArtifacts unset, empty or null the pods get no
 * image volume, and no container mounts a volume the pod lacks.
 */
export const offByDefault: Check = {
  id: 'off-by-default',
  title: 'no image volume while ociArtifacts is off',
  appliesTo: (context) => !context.cell.rejection && !readOciSettings(context.effectiveValues).enabled,
  run(context: CheckContext): Finding[] {
    if (!context.render.ok) return renderFailureFinding(context)

    const findings: Finding[] = []
    for (const workload of findWorkloads(context.render.documents)) {
      const volumes = workload.podSpec.volumes ?? []
      for (const [index, volume] of volumes.entries()) {
        if (volume.image !== undefined) {
          findings.push({ object: workload.ref, path: `${workload.podSpecPath}.volumes[${index}]`, expected: 'no image volume while ociArtifacts is off', found: `image volume ${show(volume.name)} with ${show(volume.image)}` })
        }
      }

      const names = new Set(volumes.map((volume) => volume.name))
      for (const [containerIndex, container] of (workload.podSpec.containers ?? []).entries()) {
        for (const [mountIndex, mount] of (container.volumeMounts ?? []).entries()) {
          if (!names.has(mount.name)) {
            findings.push({ object: workload.ref, path: `${workload.podSpecPath}.containers[${containerIndex}].volumeMounts[${mountIndex}]`, expected: 'mounts of volumes the pod defines', found: `a mount of ${show(mount.name)} at ${show(mount.mountPath)}, which has no volume` })
          }
        }
      }
    }
    return findings
  },
}
