import { isPlainObject, type Values } from '../render/values.ts'

/** The ociArtifacts block as the user set it, after defaults. */
export interface OciSettings {
  enabled: boolean
  name: unknown
  reference: unknown
  pullPolicy: unknown
  mountPath: unknown
  subPath: unknown
  hasSubPath: boolean
  hasPullPolicy: boolean
}

/** Reads ociArtifacts from effective values; an empty map or null means off. */
export function readOciSettings(values: Values): OciSettings {
  const block = values.ociArtifacts
  const enabled = isPlainObject(block) && Object.keys(block).length > 0
  const oci = enabled ? block : {}
  const image = isPlainObject(oci.image) ? oci.image : {}
  return {
    enabled,
    name: oci.name,
    reference: image.reference,
    pullPolicy: image.pullPolicy,
    mountPath: oci.mountPath,
    subPath: oci.subPath,
    hasSubPath: oci.subPath !== undefined && oci.subPath !== null && oci.subPath !== '',
    hasPullPolicy: image.pullPolicy !== undefined && image.pullPolicy !== null && image.pullPolicy !== '',
  }
}
