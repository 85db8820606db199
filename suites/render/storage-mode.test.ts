import { helmParity, storageModeCheck, uniqueness } from '../../helpers/checks/index.ts'
import { ABSENT } from '../../helpers/render/values.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'
import { STORAGE_MODES } from '../../helpers/suite/variants.ts'

// The artifact goes to a second provisioning folder, so the sidecar and
// provisioning persistence keep the first one to themselves.
await defineRenderSuite({
  name: 'OCI artifact in both storage modes',
  baseFiles: ['fixtures/values/oci-enabled.yaml'],
  base: {
    config: { provisioning: { folders: ['/etc/perses/provisioning', '/etc/perses/oci'] } },
    ociArtifacts: { mountPath: '/etc/perses/oci' },
  },
  axes: {
    storage: {
      file: {},
      'file+persistence': { 'persistence.enabled': true },
      sql: STORAGE_MODES.sql!,
      'sql+provisioningPersistence': { ...STORAGE_MODES.sql, 'provisioningPersistence.enabled': true },
    },
    'sidecar.enabled': [false, true],
    'ociArtifacts.subPath': [ABSENT, 'prod'],
    helm: [3, 4],
    kube: ['1.35'],
  },
  checks: [storageModeCheck, uniqueness, helmParity],
})
