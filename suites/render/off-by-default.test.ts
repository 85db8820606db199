import { kubeSchema, offByDefault, valuesSchema } from '../../helpers/checks/index.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'
import { STORAGE_MODES } from '../../helpers/suite/variants.ts'

await defineRenderSuite({
  name: 'ociArtifacts off',
  axes: {
    ociArtifacts: {
      default: {},
      'empty map': { ociArtifacts: {} },
      null: { ociArtifacts: null },
    },
    storage: STORAGE_MODES,
    'sidecar.enabled': [false, true],
    helm: [3, 4],
    kube: ['1.30', '1.35'],
  },
  checks: [valuesSchema, kubeSchema, offByDefault],
})
