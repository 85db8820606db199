import { helmParity, uniqueness } from '../../helpers/checks/index.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'
import { STORAGE_MODES } from '../../helpers/suite/variants.ts'

const userVolume = {
  volumes: [{ name: 'extra-dashboards', configMap: { name: 'team-dashboards' } }],
  volumeMounts: [{ name: 'extra-dashboards', mountPath: '/etc/perses/provisioning/team/' }],
}

// Each collision variant points ociArtifacts at a volume name or mount path
// the pod already has. The provisioning folders list every built-in path,
// so the collision, not the path check, is what a chart has to notice.
await defineRenderSuite({
  name: 'OCI volume collisions',
  baseFiles: ['fixtures/values/oci-enabled.yaml'],
  base: {
    config: { provisioning: { folders: ['/etc/perses/provisioning', '/etc/perses/oci', '/etc/perses/config', '/perses', '/etc/perses/plugins'] } },
    ociArtifacts: { mountPath: '/etc/perses/oci' },
  },
  axes: {
    collision: {
      none: {},
      'name=config': { 'ociArtifacts.name': 'config' },
      'name=data': { 'ociArtifacts.name': 'data' },
      'name=plugins': { 'ociArtifacts.name': 'plugins' },
      'name=provisioning with sidecar': { 'ociArtifacts.name': 'provisioning', 'sidecar.enabled': true },
      'name=provisioning with provisioningPersistence': { 'ociArtifacts.name': 'provisioning', 'provisioningPersistence.enabled': true },
      'name=user volume': { 'ociArtifacts.name': 'extra-dashboards', ...userVolume },
      'mountPath=config folder': { 'ociArtifacts.mountPath': '/etc/perses/config' },
      'mountPath=data folder': { 'ociArtifacts.mountPath': '/perses/' },
      'mountPath=plugins folder': { 'ociArtifacts.mountPath': '/etc/perses/plugins/' },
      'mountPath=sidecar folder': { 'ociArtifacts.mountPath': '/etc/perses/provisioning', 'sidecar.enabled': true },
      'mountPath=provisioningPersistence folder': { 'ociArtifacts.mountPath': '/etc/perses/provisioning/', 'provisioningPersistence.enabled': true },
      'mountPath=user mount': { 'ociArtifacts.mountPath': '/etc/perses/provisioning/team', ...userVolume },
    },
    storage: STORAGE_MODES,
    helm: [3, 4],
    kube: ['1.35'],
  },
  checks: [uniqueness, helmParity],
})
