import { helmParity, offByDefault, rejectsInvalidValues, requiredFields } from '../../helpers/checks/index.ts'
import { ABSENT } from '../../helpers/render/values.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'
import { STORAGE_MODES } from '../../helpers/suite/variants.ts'

const complete = {
  name: 'perses-manifests',
  image: { reference: 'registry.example.com/perses-manifests:v1.0.0', pullPolicy: 'IfNotPresent' },
  mountPath: '/etc/perses/provisioning',
  subPath: 'prod',
}

await defineRenderSuite({
  name: 'ociArtifacts required and optional fields',
  baseFiles: ['fixtures/values/oci-enabled.yaml'],
  axes: {
    'ociArtifacts.subPath': [ABSENT, 'prod', 'envs/prod', 'prod/'],
    storage: STORAGE_MODES,
    helm: [3, 4],
    kube: ['1.35'],
  },
  invalid: [
    { name: 'name missing', values: { ociArtifacts: { name: null } }, field: 'ociArtifacts.name' },
    { name: 'name empty', values: { ociArtifacts: { name: '' } }, field: 'ociArtifacts.name' },
    { name: 'image missing', values: { ociArtifacts: { image: null } }, field: 'ociArtifacts.image' },
    { name: 'reference missing', values: { ociArtifacts: { image: { reference: null, pullPolicy: 'Always' } } }, field: 'ociArtifacts.image.reference' },
    { name: 'reference empty', values: { ociArtifacts: { image: { reference: '' } } }, field: 'ociArtifacts.image.reference' },
    { name: 'mountPath missing', values: { ociArtifacts: { mountPath: null } }, field: 'ociArtifacts.mountPath' },
    { name: 'mountPath empty', values: { ociArtifacts: { mountPath: '' } }, field: 'ociArtifacts.mountPath' },
    { name: 'subPath absolute', values: { ociArtifacts: { subPath: '/prod' } }, field: 'ociArtifacts.subPath' },
    { name: 'subPath is ..', values: { ociArtifacts: { subPath: '..' } }, field: 'ociArtifacts.subPath' },
    { name: 'subPath climbs out', values: { ociArtifacts: { subPath: 'prod/../../etc' } }, field: 'ociArtifacts.subPath' },
  ],
  // A later values file that sets a key to null removes it, as with helm -f base.yaml -f overlay.yaml.
  layered: [
    { name: 'subPath and pullPolicy nulled', layers: [{ ociArtifacts: complete }, { ociArtifacts: { subPath: null, image: { pullPolicy: null } } }] },
    { name: 'subPath nulled', layers: [{ ociArtifacts: complete }, { ociArtifacts: { subPath: null } }] },
    { name: 'pullPolicy nulled', layers: [{ ociArtifacts: complete }, { ociArtifacts: { image: { pullPolicy: null } } }] },
    { name: 'ociArtifacts nulled', layers: [{ ociArtifacts: complete }, { ociArtifacts: null }] },
  ],
  checks: [requiredFields, rejectsInvalidValues, offByDefault, helmParity],
})
