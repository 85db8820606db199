import { helmParity } from '../../helpers/checks/index.ts'
import { ABSENT } from '../../helpers/render/values.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'
import { STORAGE_MODES } from '../../helpers/suite/variants.ts'

const artifact = {
  name: 'perses-manifests',
  image: { reference: 'registry.example.com/perses-manifests:v1.0.0', pullPolicy: 'IfNotPresent' },
  mountPath: '/etc/perses/oci',
  subPath: 'prod',
}

// The other render suites compare helm majors on their own cells too; this
// one adds cells with the feature off and on old Kubernetes versions.
await defineRenderSuite({
  name: 'helm 3 and helm 4 agree',
  base: { config: { provisioning: { folders: ['/etc/perses/provisioning', '/etc/perses/oci'] } } },
  axes: {
    ociArtifacts: {
      unset: { ociArtifacts: ABSENT },
      set: { ociArtifacts: artifact },
    },
    storage: STORAGE_MODES,
    'sidecar.enabled': [false, true],
    helm: [3, 4],
    kube: ['1.30', '1.32', '1.35'],
  },
  checks: [helmParity],
})
