import YAML from 'yaml'
import type { RenderedDocument, RenderedObject } from '../render/render-chart.ts'
import { isPlainObject } from '../render/values.ts'

export interface Container {
  name?: string
  image?: string
  args?: unknown[]
  command?: unknown[]
  volumeMounts?: VolumeMount[]
  [field: string]: unknown
}

export interface VolumeMount {
  name?: string
  mountPath?: string
  subPath?: string
  subPathExpr?: string
  readOnly?: boolean
  [field: string]: unknown
}

export interface Volume {
  name?: string
  image?: { reference?: string; pullPolicy?: string; [field: string]: unknown }
  configMap?: { name?: string; items?: Array<{ key: string; path: string }> }
  secret?: { secretName?: string; items?: Array<{ key: string; path: string }> }
  [field: string]: unknown
}

export interface PodSpec {
  containers?: Container[]
  initContainers?: Container[]
  volumes?: Volume[]
  [field: string]: unknown
}

/** An object that runs pods, with the field path to its pod template. */
export interface Workload {
  object: RenderedObject
  /** kind/namespace/name, as messages show it. */
  ref: string
  podSpec: PodSpec
  /** Dotted path of the pod spec inside the object, e.g. spec.template.spec. */
  podSpecPath: string
  podTemplateMetadata: { annotations?: Record<string, string>; labels?: Record<string, string> } | undefined
}

const POD_SPEC_PATHS: Record<string, string[]> = {
  StatefulSet: ['spec', 'template'],
  Deployment: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
}

/** Returns kind/namespace/name for messages. */
export function describeObject(object: RenderedObject, defaultNamespace = 'default'): string {
  const namespace = object.metadata?.namespace ?? defaultNamespace
  return `${object.kind ?? '<no kind>'}/${namespace}/${object.metadata?.name ?? '<no name>'}`
}

/** Returns every object that runs pods: workloads and bare Pods. */
export function findWorkloads(documents: RenderedDocument[]): Workload[] {
  const workloads: Workload[] = []
  for (const { object } of documents) {
    if (object.kind === 'Pod') {
      if (isPlainObject(object.spec)) {
        workloads.push({ object, ref: describeObject(object), podSpec: object.spec as PodSpec, podSpecPath: 'spec', podTemplateMetadata: object.metadata })
      }
      continue
    }

    const templatePath = object.kind ? POD_SPEC_PATHS[object.kind] : undefined
    if (!templatePath) continue
    let template: unknown = object
    for (const segment of templatePath) template = isPlainObject(template) ? template[segment] : undefined
    if (!isPlainObject(template) || !isPlainObject(template.spec)) continue
    workloads.push({
      object,
      ref: describeObject(object),
      podSpec: template.spec as PodSpec,
      podSpecPath: [...templatePath, 'spec'].join('.'),
      podTemplateMetadata: template.metadata as Workload['podTemplateMetadata'],
    })
  }
  return workloads
}

/** Returns the value of `--config` in a container's args or command, if any. */
export function configArgument(container: Container): string | undefined {
  const words = [...(container.command ?? []), ...(container.args ?? [])].map(String)
  for (const [index, word] of words.entries()) {
    const match = /^--?config=(.+)$/.exec(word)
    if (match) return match[1]
    if ((word === '--config' || word === '-config') && words[index + 1]) return words[index + 1]
  }
  return undefined
}

/**
 * Returns the Perses server container of a pod: the one started with
 * `--config=…`, else the one named perses. Sidecars never match.
 */
export function findPersesContainer(workload: Workload): { container: Container; index: number } | undefined {
  const containers = workload.podSpec.containers ?? []
  const byConfig = containers.findIndex((container) => configArgument(container) !== undefined)
  if (byConfig >= 0) return { container: containers[byConfig]!, index: byConfig }
  const byName = containers.findIndex((container) => container.name === 'perses')
  if (byName >= 0) return { container: containers[byName]!, index: byName }
  return undefined
}

export type PersesConfigResult =
  | { ok: true; config: Record<string, unknown>; source: string }
  | { ok: false; reason: string }

/**
 * Reads the Perses config file the container loads: follows `--config` to the
 * volume mounted over that path, then to the ConfigMap or Secret key behind it.
 */
export function readPersesConfig(documents: RenderedDocument[], workload: Workload, container: Container): PersesConfigResult {
  const configPath = configArgument(container)
  if (!configPath) return { ok: false, reason: `container ${container.name} has no --config argument` }

  const mounts = [...(container.volumeMounts ?? [])]
    .filter((mount) => typeof mount.mountPath === 'string' && isUnder(configPath, mount.mountPath))
    .sort((a, b) => b.mountPath!.length - a.mountPath!.length)
  const mount = mounts[0]
  if (!mount) return { ok: false, reason: `no volume of container ${container.name} is mounted over its config file ${configPath}` }

  const volume = (workload.podSpec.volumes ?? []).find((candidate) => candidate.name === mount.name)
  if (!volume) return { ok: false, reason: `the config mount ${mount.mountPath} names volume ${mount.name}, which the pod does not define` }

  const fileInVolume = mount.subPath ?? trimSlashes(configPath.slice(normalizePath(mount.mountPath!).length))
  const source = volume.configMap ?? volume.secret
  const objectKind = volume.configMap ? 'ConfigMap' : volume.secret ? 'Secret' : undefined
  const objectName = volume.configMap?.name ?? volume.secret?.secretName
  if (!source || !objectKind || !objectName) return { ok: false, reason: `the config file ${configPath} comes from volume ${mount.name}, which is neither a ConfigMap nor a Secret` }

  const key = source.items?.find((item) => item.path === fileInVolume)?.key ?? fileInVolume
  const object = documents.map((doc) => doc.object).find((candidate) => candidate.kind === objectKind && candidate.metadata?.name === objectName)
  if (!object) return { ok: false, reason: `the config file ${configPath} comes from ${objectKind} ${objectName}, which the chart does not render` }

  const data = object.data as Record<string, string> | undefined
  const stringData = object.stringData as Record<string, string> | undefined
  let text = stringData?.[key] ?? data?.[key]
  if (text !== undefined && objectKind === 'Secret' && stringData?.[key] === undefined) text = Buffer.from(text, 'base64').toString('utf8')
  const where = `${describeObject(object)} key ${key}`
  if (text === undefined) return { ok: false, reason: `${where} is missing, but the container reads its config from it` }

  try {
    const config = YAML.parse(text, { version: '1.1' }) as unknown
    if (!isPlainObject(config)) return { ok: false, reason: `${where} is not a YAML mapping` }
    return { ok: true, config, source: where }
  } catch (error) {
    return { ok: false, reason: `${where} is not valid YAML: ${(error as Error).message.split('\n')[0]}` }
  }
}

/** Removes trailing slashes, keeping "/" itself. */
export function normalizePath(value: string): string {
  const trimmed = value.replace(/\/+$/, '')
  return trimmed === '' && value.startsWith('/') ? '/' : trimmed
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '')
}

/** True when `child` is `parent` or lies below it, after trailing slashes are dropped. */
export function isUnder(child: string, parent: string): boolean {
  const c = normalizePath(child)
  const p = normalizePath(parent)
  return c === p || c.startsWith(p === '/' ? '/' : `${p}/`)
}
