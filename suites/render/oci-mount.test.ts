import { kubeSchema, pathMatching, pullPolicy, rejectsInvalidValues, subPath, valuesSchema } from '../../helpers/checks/index.ts'
import { ABSENT } from '../../helpers/render/values.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'

await defineRenderSuite({
  name: 'OCI artifact mount',
  base: {
    ociArtifacts: {
      name: 'perses-manifests',
      image: { reference: 'registry.example.com/perses-manifests:v1.0.0' },
      mountPath: '/etc/perses/provisioning',
    },
  },
  axes: {
    'ociArtifacts.image.pullPolicy': ['Always', 'IfNotPresent', 'Never', ABSENT],
    'ociArtifacts.subPath': [ABSENT, 'prod', 'envs/staging'],
    'ociArtifacts.mountPath': ['/etc/perses/provisioning', '/etc/perses/provisioning/', '/etc/perses/provisioning/oci'],
    helm: [3, 4],
    kube: ['1.33', '1.35'],
  },
  invalid: [
    { name: 'pullPolicy=Sometimes', values: { ociArtifacts: { image: { pullPolicy: 'Sometimes' } } }, field: 'ociArtifacts.image.pullPolicy' },
    { name: 'pullPolicy=always', values: { ociArtifacts: { image: { pullPolicy: 'always' } } }, field: 'ociArtifacts.image.pullPolicy' },
    { name: 'reference empty', values: { ociArtifacts: { image: { reference: '' } } }, field: 'ociArtifacts.image.reference' },
    { name: 'reference missing', values: { ociArtifacts: { image: { reference: null, pullPolicy: 'Always' } } }, field: 'ociArtifacts.image.reference' },
    { name: 'name missing', values: { ociArtifacts: { name: null } }, field: 'ociArtifacts.name' },
    { name: 'mountPath relative', values: { ociArtifacts: { mountPath: 'etc/perses/provisioning' } }, field: 'ociArtifacts.mountPath' },
    { name: 'subPath absolute', values: { ociArtifacts: { subPath: '/prod' } }, field: 'ociArtifacts.subPath' },
    { name: 'subPath climbs out', values: { ociArtifacts: { subPath: 'prod/../../etc' } }, field: 'ociArtifacts.subPath' },
  ],
  checks: [valuesSchema, rejectsInvalidValues, kubeSchema, pathMatching, subPath, pullPolicy],
})
