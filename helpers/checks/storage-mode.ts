import { getPath, isPlainObject, type Values } from '../render/values.ts'
import { locateOciMounts } from './oci-mount.ts'
import { readOciSettings } from './oci-values.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { firstLines, renderFailureFinding } from './types.ts'

/** Storage mode of the Perses chart: file while config.database.file is a map, SQL otherwise. */
export function storageMode(values: Values): 'file' | 'sql' {
  return isPlainObject(getPath(values, 'config.database.file')) ? 'file' : 'sql'
}

/**
 * Storage mode: whichever workload the storage mode renders (a StatefulSet
 * for file storage, a Deployment for SQL) mounts the artifact in its Perses
 * container. A chart that supports only one mode may reject ociArtifacts in
 * the other, with an error that names ociArtifacts. Rendering the workload
 * without the artifact drops the feature without a word.
 */
export const storageModeCheck: Check = {
  id: 'storage-mode',
  title: 'artifact mounts in the workload of either storage mode',
  appliesTo: (target) => !target.cell.rejection && readOciSettings(target.effectiveValues).enabled,
  run(context: CheckContext): Finding[] {
    const mode = storageMode(context.effectiveValues)
    if (!context.render.ok) {
      if (mode === 'sql' && context.render.message.includes('ociArtifacts')) return []
      if (mode === 'sql') {
        return [{ path: 'ociArtifacts', expected: 'with SQL storage, the artifact mounted in the Deployment or an error that names ociArtifacts', found: `an error that does not: ${firstLines(context.render.message)}` }]
      }
      return renderFailureFinding(context)
    }

    const { findings } = locateOciMounts(context)
    const storage = mode === 'sql' ? 'SQL storage (config.database.file unset)' : 'file storage'
    return findings.map((finding) => ({ ...finding, expected: `with ${storage}: ${finding.expected}` }))
  },
}
