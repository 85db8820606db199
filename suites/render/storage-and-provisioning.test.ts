import { kubeSchema, pathMatching, pullPolicy, subPath, valuesSchema } from '../../helpers/checks/index.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'
import { STORAGE_MODES } from '../../helpers/suite/variants.ts'

// The sidecar and provisioning persistence take the first provisioning
// folder, so the artifact goes to a second one.
await defineRenderSuite({
  name: 'OCI artifact beside other provisioning sources',
  base: {
    config: { provisioning: { folders: ['/etc/perses/provisioning', '/etc/perses/oci'] } },
    ociArtifacts: {
      name: 'perses-manifests',
      image: { reference: 'registry.example.com/perses-manifests:v1.0.0', pullPolicy: 'IfNotPresent' },
      mountPath: '/etc/perses/oci',
      subPath: 'prod',
    },
  },
  axes: {
    storage: {
      ...STORAGE_MODES,
      'file+persistence': { 'persistence.enabled': true },
    },
    'sidecar.enabled': [false, true],
    'provisioningPersistence.enabled': [false, true],
    volumes: {
      none: {},
      user: {
        volumes: [{ name: 'extra-dashboards', configMap: { name: 'team-dashboards' } }],
        volumeMounts: [{ name: 'extra-dashboards', mountPath: '/etc/perses/provisioning/team' }],
      },
    },
    helm: [3, 4],
    kube: ['1.35'],
  },
  checks: [valuesSchema, kubeSchema, pathMatching, subPath, pullPolicy],
})
