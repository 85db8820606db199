import { findWorkloads } from '../manifest/workloads.ts'
import type { RenderedObject } from '../render/render-chart.ts'
import { isPlainObject } from '../render/values.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { renderFailureFinding, show } from './types.ts'
import { describeObject } from '../manifest/workloads.ts'

interface ModelValidationError extends Error {
  errors?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>
}
type ModelClass = new (data: unknown) => { validate(): void }

type ModelModule = Record<string, unknown>

// Static imports keep the bundler able to resolve each module. The list contains
// every built-in apiVersion a chart is likely to render; other apiVersions
// (custom resources) have no model and are not schema-checked.
const MODEL_LOADERS: Record<string, () => Promise<ModelModule>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'batch/v1': () => import('kubernetes-models/batch/v1'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'autoscaling/v2': () => import('kubernetes-models/autoscaling/v2'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  'rbac.authorization.k8s.io/v1': () => import('kubernetes-models/rbac.authorization.k8s.io/v1'),
  'storage.k8s.io/v1': () => import('kubernetes-models/storage.k8s.io/v1'),
  'scheduling.k8s.io/v1': () => import('kubernetes-models/scheduling.k8s.io/v1'),
  'coordination.k8s.io/v1': () => import('kubernetes-models/coordination.k8s.io/v1'),
  'discovery.k8s.io/v1': () => import('kubernetes-models/discovery.k8s.io/v1'),
  'admissionregistration.k8s.io/v1': () => import('kubernetes-models/admissionregistration.k8s.io/v1'),
  'apiextensions.k8s.io/v1': () => import('kubernetes-models/apiextensions.k8s.io/v1'),
}

const modelModules = new Map<string, Promise<ModelModule | undefined>>()

function loadModels(apiVersion: string): Promise<ModelModule | undefined> {
  const loader = MODEL_LOADERS[apiVersion]
  if (!loader) return Promise.resolve(undefined)
  let pending = modelModules.get(apiVersion)
  if (!pending) {
    pending = loader()
    modelModules.set(apiVersion, pending)
  }
  return pending
}

/**
 * Drops null fields, as the API server's decoder does: `field: null` in a
 * manifest means "unset", so it is not a schema error.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (!isPlainObject(value)) return value
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null).map(([key, item]) => [key, withoutNulls(item)]))
}

// Checks the API server makes that the OpenAPI schema leaves out
// (pkg/apis/core/validation in Kubernetes): names, paths and unknown keys.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const VOLUME_MOUNT_KEYS = new Set(['name', 'mountPath', 'subPath', 'subPathExpr', 'readOnly', 'recursiveReadOnly', 'mountPropagation'])
const IMAGE_SOURCE_KEYS = new Set(['reference', 'pullPolicy'])

function validateVolumes(object: RenderedObject, context: CheckContext): Finding[] {
  const findings: Finding[] = []
  const workload = findWorkloads([{ object, template: undefined }])[0]
  if (!workload) return findings
  const ref = describeObject(object, context.cell.values.namespace as string | undefined)

  for (const [index, volume] of (workload.podSpec.volumes ?? []).entries()) {
    const path = `${workload.podSpecPath}.volumes[${index}]`
    if (typeof volume.name !== 'string' || !DNS_LABEL.test(volume.name) || volume.name.length > 63) {
      findings.push({ object: ref, path: `${path}.name`, expected: 'a DNS-1123 label (lower-case letters, digits and "-", at most 63)', found: show(volume.name) })
    }
    if (volume.image !== undefined) {
      if (!isPlainObject(volume.image)) {
        findings.push({ object: ref, path: `${path}.image`, expected: 'an ImageVolumeSource object', found: show(volume.image) })
        continue
      }
      for (const key of Object.keys(volume.image)) {
        if (!IMAGE_SOURCE_KEYS.has(key)) findings.push({ object: ref, path: `${path}.image.${key}`, expected: 'only reference and pullPolicy in an image volume', found: `unknown field ${key}` })
      }
      if (typeof volume.image.reference !== 'string' || volume.image.reference.trim() === '') {
        findings.push({ object: ref, path: `${path}.image.reference`, expected: 'a non-empty image reference', found: show(volume.image.reference) })
      }
    }
  }

  const containers = [...(workload.podSpec.containers ?? []).map((c, i) => ({ c, at: `containers[${i}]` })), ...(workload.podSpec.initContainers ?? []).map((c, i) => ({ c, at: `initContainers[${i}]` }))]
  for (const { c, at } of containers) {
    for (const [index, mount] of (c.volumeMounts ?? []).entries()) {
      const path = `${workload.podSpecPath}.${at}.volumeMounts[${index}]`
      for (const key of Object.keys(mount)) {
        if (!VOLUME_MOUNT_KEYS.has(key)) findings.push({ object: ref, path: `${path}.${key}`, expected: 'a VolumeMount field', found: `unknown field ${key}` })
      }
      if (typeof mount.mountPath !== 'string' || mount.mountPath === '') {
        findings.push({ object: ref, path: `${path}.mountPath`, expected: 'a non-empty path', found: show(mount.mountPath) })
      }
      if (typeof mount.subPath === 'string' && (mount.subPath.startsWith('/') || mount.subPath.split('/').includes('..'))) {
        findings.push({ object: ref, path: `${path}.subPath`, expected: "a relative path without '..'", found: show(mount.subPath) })
      }
    }
  }
  return findings
}

/**
 * Kubernetes schema: every rendered object validates against the Kubernetes
 * OpenAPI schema that kubernetes-models compiles, plus the volume rules the
 * API server adds. Kinds without a model (custom resources) are skipped.
 */
export const kubeSchema: Check = {
  id: 'kube-schema',
  title: 'every object matches the Kubernetes schema',
  async run(context: CheckContext): Promise<Finding[]> {
    if (!context.render.ok) return renderFailureFinding(context)

    const findings: Finding[] = []
    for (const { object } of context.render.documents) {
      const ref = describeObject(object)
      if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
        findings.push({ object: ref, expected: 'apiVersion and kind', found: `apiVersion ${show(object.apiVersion)}, kind ${show(object.kind)}` })
        continue
      }

      const models = await loadModels(object.apiVersion)
      const Model = models?.[object.kind] as ModelClass | undefined
      if (Model) {
        try {
          new Model(withoutNulls(object)).validate()
        } catch (error) {
          const errors = (error as ModelValidationError).errors ?? []
          for (const item of errors) {
            const path = item.instancePath.split('/').filter(Boolean).map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`)).join('').replace(/^\./, '')
            findings.push({ object: ref, path, expected: `${item.message ?? 'a valid value'}${item.params?.allowedValues ? ` ${JSON.stringify(item.params.allowedValues)}` : ''}`, found: show(valueAt(object, item.instancePath)) })
          }
          if (errors.length === 0) findings.push({ object: ref, expected: 'a valid object', found: (error as Error).message })
        }
      }
      findings.push(...validateVolumes(object, context))
    }
    return findings
  },
}

function valueAt(object: unknown, pointer: string): unknown {
  let current: unknown = object
  for (const segment of pointer.split('/').filter(Boolean)) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}
