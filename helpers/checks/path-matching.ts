import { isUnder, normalizePath, readPersesConfig } from '../manifest/workloads.ts'
import { getPath, isPlainObject } from '../render/values.ts'
import { mentionsField } from './rejection.ts'
import { locateOciMounts } from './oci-mount.ts'
import { readOciSettings } from './oci-values.ts'
import type { Check, CheckContext, CheckTarget, Finding } from './types.ts'
import { renderFailureFinding, show } from './types.ts'

const enabledAndValid = (context: CheckTarget) => !context.cell.rejection && readOciSettings(context.effectiveValues).enabled

/**
 * Path matching: the Perses container mounts the artifact at exactly
 * ociArtifacts.mountPath, and that path is one of, or lies under one of, the
 * provisioning folders in the config file Perses reads. Trailing slashes are
 * ignored on both sides.
 */
export const pathMatching: Check = {
  id: 'path-matching',
  title: 'artifact mounts inside a provisioning folder',
  appliesTo: enabledAndValid,
  run(context: CheckContext): Finding[] {
    const oci = readOciSettings(context.effectiveValues)
    if (!context.render.ok) {
      // Rejecting a mountPath Perses would never read is correct behaviour.
      const rejectedOutsidePath = !mountPathInValuesFolders(context) && mentionsField(context.render.message, 'ociArtifacts.mountPath')
      return rejectedOutsidePath ? [] : renderFailureFinding(context)
    }
    const { mounts, findings } = locateOciMounts(context)

    for (const located of mounts) {
      const rendered = located.mount.mountPath
      if (typeof rendered !== 'string' || typeof oci.mountPath !== 'string' || normalizePath(rendered) !== normalizePath(oci.mountPath)) {
        findings.push({ object: located.workload.ref, path: `${located.mountPath}.mountPath`, expected: show(oci.mountPath), found: show(rendered) })
        continue
      }

      const config = readPersesConfig(context.render.documents, located.workload, located.container)
      if (!config.ok) {
        findings.push({ object: located.workload.ref, path: 'provisioning.folders', expected: 'a Perses config file the container reads', found: config.reason })
        continue
      }
      const provisioning = config.config.provisioning
      const folders = isPlainObject(provisioning) && Array.isArray(provisioning.folders) ? provisioning.folders.filter((folder): folder is string => typeof folder === 'string') : []
      if (!folders.some((folder) => isUnder(rendered, folder))) {
        findings.push({
          object: located.workload.ref,
          path: `${located.mountPath}.mountPath`,
          expected: `a path in or under a provisioning folder of ${config.source} (${show(folders)})`,
          found: `${show(rendered)}, which Perses never reads`,
        })
      }
    }
    return findings
  },
}

/** True when ociArtifacts.mountPath lies in a folder of config.provisioning.folders in the values. */
function mountPathInValuesFolders(context: CheckTarget): boolean {
  const oci = readOciSettings(context.effectiveValues)
  const folders = getPath(context.effectiveValues, 'config.provisioning.folders')
  if (typeof oci.mountPath !== 'string' || !Array.isArray(folders)) return false
  return folders.some((folder) => typeof folder === 'string' && isUnder(oci.mountPath as string, folder))
}

/** subPath: absent in values means no subPath key; present means exactly that string. */
export const subPath: Check = {
  id: 'sub-path',
  title: 'subPath is rendered exactly or left out',
  appliesTo: enabledAndValid,
  run(context: CheckContext): Finding[] {
    if (!context.render.ok) return renderFailureFinding(context)
    const oci = readOciSettings(context.effectiveValues)
    const { mounts, findings } = locateOciMounts(context)

    for (const located of mounts) {
      const path = `${located.mountPath}.subPath`
      if (located.mount.subPathExpr !== undefined) {
        findings.push({ object: located.workload.ref, path: `${located.mountPath}.subPathExpr`, expected: 'no subPathExpr', found: show(located.mount.subPathExpr) })
      }
      if (!oci.hasSubPath && 'subPath' in located.mount) {
        findings.push({ object: located.workload.ref, path, expected: 'no subPath key, since ociArtifacts.subPath is unset', found: show(located.mount.subPath) })
      }
      if (oci.hasSubPath && located.mount.subPath !== oci.subPath) {
        findings.push({ object: located.workload.ref, path, expected: show(oci.subPath), found: show(located.mount.subPath) })
      }
    }
    return findings
  },
}

const PULL_POLICIES = new Set(['Always', 'IfNotPresent', 'Never'])

/** Pull policy: the three Kubernetes values exactly; absent stays absent. */
export const pullPolicy: Check = {
  id: 'pull-policy',
  title: 'pull policy is rendered exactly or left out',
  appliesTo: enabledAndValid,
  run(context: CheckContext): Finding[] {
    if (!context.render.ok) return renderFailureFinding(context)
    const oci = readOciSettings(context.effectiveValues)
    const { mounts, findings } = locateOciMounts(context)

    for (const located of mounts) {
      const path = `${located.volumePath}.image.pullPolicy`
      const rendered = located.volume.image?.pullPolicy
      if (!oci.hasPullPolicy && rendered !== undefined) {
        findings.push({ object: located.workload.ref, path, expected: 'no pullPolicy, since ociArtifacts.image.pullPolicy is unset', found: show(rendered) })
      } else if (oci.hasPullPolicy && !PULL_POLICIES.has(String(oci.pullPolicy))) {
        findings.push({ object: located.workload.ref, path, expected: `the chart to reject pullPolicy ${show(oci.pullPolicy)} (allowed: Always, IfNotPresent, Never)`, found: `it rendered ${show(rendered)}` })
      } else if (oci.hasPullPolicy && rendered !== oci.pullPolicy) {
        findings.push({ object: located.workload.ref, path, expected: show(oci.pullPolicy), found: show(rendered) })
      }
    }
    return findings
  },
}
