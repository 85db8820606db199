import { findPersesContainer, findWorkloads, normalizePath } from '../manifest/workloads.ts'
import { readOciSettings } from './oci-values.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { firstLines, renderFailureFinding } from './types.ts'

/** Shows a value with its type, so `"on"` and `true`, or `"0755"` and `493`, read apart. */
function showTyped(value: unknown): string {
  if (value === undefined) return 'nothing (field absent)'
  return `${JSON.stringify(value)} (${value === null ? 'null' : typeof value})`
}

function changed(field: string, input: unknown, rendered: unknown): Pick<Finding, 'expected' | 'found'> {
  return { expected: `${field} ${showTyped(input)} unchanged, as given`, found: `it became ${showTyped(rendered)} in the parsed manifest` }
}

/**
 * Value fidelity: each free string of ociArtifacts (name, image.reference,
 * mountPath, subPath) reaches the parsed manifest unchanged. The manifest is
 * parsed as YAML 1.1, as the API server reads it, so a value the chart
 * writes unquoted can turn into another type (`on` into true, `0755` into
 * 493) or another string. mountPath may lose trailing slashes, which
 * Kubernetes ignores.
 *
 * The artifact's volume is found by type, not by value: the one image
 * volume of the pod, else the one whose name or reference matches.
 */
export const valueFidelity: Check = {
  id: 'value-fidelity',
  title: 'ociArtifacts strings reach the manifest unchanged',
  appliesTo: (target) => !target.cell.rejection && readOciSettings(target.effectiveValues).enabled,
  run(context: CheckContext): Finding[] {
    const oci = readOciSettings(context.effectiveValues)
    if (!context.render.ok && /YAML parse error|error converting YAML/.test(context.render.message)) {
      // The chart wrote a value into its template so that the output is no longer YAML.
      const inputs = [['name', oci.name], ['image.reference', oci.reference], ['mountPath', oci.mountPath], ['subPath', oci.subPath]]
        .filter(([, value]) => value !== undefined)
        .map(([field, value]) => `ociArtifacts.${field} ${showTyped(value)}`)
      return [{ expected: `a manifest that parses with ${inputs.join(', ')}`, found: `helm could not parse its own output: ${firstLines(context.render.message, 2)}` }]
    }
    if (!context.render.ok) return renderFailureFinding(context)
    const findings: Finding[] = []

    const workloads = findWorkloads(context.render.documents).filter((workload) => findPersesContainer(workload))
    if (workloads.length === 0) {
      return [{ expected: 'a workload running the Perses container', found: 'none in the rendered manifest' }]
    }

    for (const workload of workloads) {
      const volumes = (workload.podSpec.volumes ?? []).map((volume, index) => ({ volume, index })).filter(({ volume }) => volume.image !== undefined)
      const picked = volumes.length === 1 ? volumes[0] : volumes.find(({ volume }) => volume.name === oci.name || volume.image?.reference === oci.reference)
      const volumesPath = `${workload.podSpecPath}.volumes`
      if (!picked) {
        findings.push({ object: workload.ref, path: volumesPath, expected: `an image volume for ociArtifacts (name ${showTyped(oci.name)})`, found: volumes.length === 0 ? 'no image volume' : `${volumes.length} image volumes, none with that name or reference` })
        continue
      }

      const volumePath = `${volumesPath}[${picked.index}]`
      if (picked.volume.name !== oci.name) {
        findings.push({ object: workload.ref, path: `${volumePath}.name`, ...changed('ociArtifacts.name', oci.name, picked.volume.name) })
      }
      if (picked.volume.image?.reference !== oci.reference) {
        findings.push({ object: workload.ref, path: `${volumePath}.image.reference`, ...changed('ociArtifacts.image.reference', oci.reference, picked.volume.image?.reference) })
      }

      const { container, index: containerIndex } = findPersesContainer(workload)!
      const mountIndex = (container.volumeMounts ?? []).findIndex((mount) => mount.name === picked.volume.name || mount.name === oci.name)
      const containerPath = `${workload.podSpecPath}.containers[${containerIndex}]`
      if (mountIndex < 0) {
        findings.push({ object: workload.ref, path: `${containerPath}.volumeMounts`, expected: `a mount of volume ${showTyped(picked.volume.name)} in the Perses container`, found: 'none' })
        continue
      }

      const mount = container.volumeMounts![mountIndex]!
      const mountPath = `${containerPath}.volumeMounts[${mountIndex}]`
      const sameMountPath = typeof mount.mountPath === 'string' && typeof oci.mountPath === 'string' && normalizePath(mount.mountPath) === normalizePath(oci.mountPath)
      if (!sameMountPath) {
        findings.push({ object: workload.ref, path: `${mountPath}.mountPath`, ...changed('ociArtifacts.mountPath', oci.mountPath, mount.mountPath) })
      }
      if (oci.hasSubPath && mount.subPath !== oci.subPath) {
        findings.push({ object: workload.ref, path: `${mountPath}.subPath`, ...changed('ociArtifacts.subPath', oci.subPath, mount.subPath) })
      }
    }
    return findings
  },
}
