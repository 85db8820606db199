import { findPersesContainer, findWorkloads } from '../manifest/workloads.ts'
import { getPath, isPlainObject } from '../render/values.ts'
import { locateOciMounts } from './oci-mount.ts'
import { readOciSettings } from './oci-values.ts'
import { mentionsField } from './rejection.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { firstLines, show } from './types.ts'

const REQUIRED_FIELDS = ['ociArtifacts.name', 'ociArtifacts.image.reference', 'ociArtifacts.mountPath'] as const

/** Optional keys whose null in a later values file must remove them from the manifest. */
const OPTIONAL_FIELDS = [
  { values: 'ociArtifacts.subPath', rendered: 'mount', key: 'subPath' },
  { values: 'ociArtifacts.image.pullPolicy', rendered: 'volume', key: 'pullPolicy' },
] as const

// Go's text/template prints this when a template reads a field of a missing map.
const NIL_POINTER = /nil pointer evaluating/

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
}

/** Returns why Kubernetes rejects a subPath (absolute, or a `..` segment that climbs out of the volume), or undefined. */
function unsafeSubPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  if (value.startsWith('/')) return 'absolute'
  if (value.split('/').includes('..')) return 'climbs out with ..'
  return undefined
}

/** Returns the shortest prefix of a dotted path that is missing in the values: a missing `image` hides `image.reference`. */
function firstMissing(values: unknown, field: string): string {
  const segments = field.split('.')
  for (let length = 1; length <= segments.length; length++) {
    const prefix = segments.slice(0, length).join('.')
    if (getPath(values, prefix) === undefined || getPath(values, prefix) === null) return prefix
  }
  return field
}

function rejectionFindings(context: CheckContext, field: string, problem: string): Finding[] {
  if (context.render.ok) {
    return [{ path: field, expected: `the values schema to reject ${field} (${problem})`, found: 'helm rendered the values' }]
  }
  const message = context.render.message
  if (NIL_POINTER.test(message)) {
    return [{ path: field, expected: `the values schema to reject ${field} (${problem})`, found: `the template crashed on the missing value: ${firstLines(message)}` }]
  }
  if (context.render.kind !== 'schema') {
    return [{ path: field, expected: `the values schema to reject ${field} (${problem})`, found: `a template error instead: ${firstLines(message)}` }]
  }
  const named = firstMissing(context.effectiveValues, field)
  if (!mentionsField(message, named)) {
    return [{ path: field, expected: `a schema error that names ${named}`, found: firstLines(message) }]
  }
  return []
}

/**
 * Required fields: once ociArtifacts is set, name, image.reference and
 * mountPath are present and non-empty. A missing or empty one must be
 * rejected by the values schema, not rendered as null and not left to crash
 * the template. subPath must be relative and must not climb out with `..`.
 * An optional key (subPath, image.pullPolicy) that a later values file sets
 * to null must be gone from the manifest. A rendered null counts as gone,
 * because the API server decodes it as unset.
 */
export const requiredFields: Check = {
  id: 'required-fields',
  title: 'required ociArtifacts fields are enforced',
  appliesTo: (target) => readOciSettings(target.effectiveValues).enabled,
  run(context: CheckContext): Finding[] {
    const values = context.effectiveValues
    const missing = REQUIRED_FIELDS.filter((field) => isBlank(getPath(values, field)))
    if (missing.length > 0) {
      return missing.flatMap((field) => rejectionFindings(context, field, getPath(values, field) === undefined || getPath(values, field) === null ? 'missing' : 'empty'))
    }
    const subPathProblem = unsafeSubPath(getPath(values, 'ociArtifacts.subPath'))
    if (subPathProblem) {
      if (!context.render.ok && mentionsField(context.render.message, 'ociArtifacts.subPath')) return []
      if (!context.render.ok) return [{ path: 'ociArtifacts.subPath', expected: 'an error that names ociArtifacts.subPath', found: firstLines(context.render.message) }]
      return [{ path: 'ociArtifacts.subPath', expected: `helm to reject subPath ${show(getPath(values, 'ociArtifacts.subPath'))} (${subPathProblem})`, found: 'helm rendered it' }]
    }

    if (!context.render.ok) {
      // Valid values that fail to render are the other checks' finding, unless the template crashed.
      return NIL_POINTER.test(context.render.message) ? [{ expected: 'a render, or a schema error, for values with every required field', found: `the template crashed: ${firstLines(context.render.message)}` }] : []
    }
    return [...renderedRequiredFindings(context), ...removedOptionalFindings(context)]
  },
}

/** Reports rendered image volumes of the Perses pods with an empty name or reference. */
function renderedRequiredFindings(context: CheckContext): Finding[] {
  const findings: Finding[] = []
  if (!context.render.ok) return findings
  for (const workload of findWorkloads(context.render.documents).filter((candidate) => findPersesContainer(candidate))) {
    for (const [index, volume] of (workload.podSpec.volumes ?? []).entries()) {
      if (volume.image === undefined) continue
      const path = `${workload.podSpecPath}.volumes[${index}]`
      if (isBlank(volume.name)) findings.push({ object: workload.ref, path: `${path}.name`, expected: 'a volume name', found: show(volume.name) })
      if (isBlank(volume.image?.reference)) findings.push({ object: workload.ref, path: `${path}.image.reference`, expected: 'an image reference', found: show(volume.image?.reference) })
    }
  }
  return findings
}

/** Reports optional keys that the values leave unset, or set to null in a later file, but the manifest still sets. */
function removedOptionalFindings(context: CheckContext): Finding[] {
  // A mount the lookup cannot find is the oci-mount checks' finding, not this one's.
  const { mounts } = locateOciMounts(context)
  const findings: Finding[] = []
  const layered = (context.cell.layers ?? []).length > 0
  for (const located of mounts) {
    for (const field of OPTIONAL_FIELDS) {
      const value = getPath(context.effectiveValues, field.values)
      if (value !== undefined && value !== null) continue
      const target = field.rendered === 'mount' ? located.mount : located.volume.image
      const rendered = isPlainObject(target) ? target[field.key] : undefined
      if (rendered === undefined || rendered === null) continue
      const path = field.rendered === 'mount' ? `${located.mountPath}.${field.key}` : `${located.volumePath}.image.${field.key}`
      const reason = layered ? `a later values file sets ${field.values} to null` : `${field.values} is unset`
      findings.push({ object: located.workload.ref, path, expected: `no ${field.key}, since ${reason}`, found: show(rendered) })
    }
  }
  return findings
}
