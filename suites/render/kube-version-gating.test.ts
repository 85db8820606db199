import { helmParity, kubeVersionGating } from '../../helpers/checks/index.ts'
import { ABSENT } from '../../helpers/render/values.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'

// Image volumes arrive in Kubernetes 1.31 and subPath on them in 1.33
// (schemas/kubernetes-image-volume.json), so the axis spans both lines.
await defineRenderSuite({
  name: 'OCI artifact across Kubernetes versions',
  baseFiles: ['fixtures/values/oci-enabled.yaml'],
  axes: {
    'ociArtifacts.subPath': [ABSENT, 'prod'],
    helm: [3, 4],
    kube: ['1.30', '1.31', '1.32', '1.33', '1.34', '1.35'],
  },
  checks: [kubeVersionGating, helmParity],
})
