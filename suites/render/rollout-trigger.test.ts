import { helmParity, rolloutTrigger } from '../../helpers/checks/index.ts'
import { ABSENT } from '../../helpers/render/values.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`

// Each cell is rendered again with one startup value changed (the check's
// companion cells), so this suite keeps its own axes small. A reference
// without a tag, or with a registry port, differs only in the default pull
// policy, which the effectivePullPolicy unit tests cover.
await defineRenderSuite({
  name: 'OCI artifact changes roll the pods',
  baseFiles: ['fixtures/values/oci-enabled.yaml'],
  axes: {
    'ociArtifacts.image.reference': [
      'registry.example.com/perses-manifests:v1.0.0',
      'registry.example.com/perses-manifests:latest',
      `registry.example.com/perses-manifests@${DIGEST}`,
      `registry.example.com/perses-manifests:v1.0.0@${DIGEST}`,
    ],
    'ociArtifacts.image.pullPolicy': [ABSENT, 'IfNotPresent', 'Always'],
    helm: [3, 4],
    kube: ['1.35'],
  },
  checks: [rolloutTrigger, helmParity],
})
