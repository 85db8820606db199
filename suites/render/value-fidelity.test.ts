import fc from 'fast-check'
import { helmParity, valueFidelity } from '../../helpers/checks/index.ts'
import { generatedAxis, type VariantSettings } from '../../helpers/suite/generated.ts'
import { defineRenderSuite } from '../../helpers/suite/render-suite.ts'

/** The free strings of ociArtifacts; an unset one keeps the base value. */
interface FidelityInput {
  name?: string
  reference?: string
  mountPath?: string
  subPath?: string
}

// Volume names and mount paths the reference chart takes for itself; reusing
// one is a collision (the uniqueness suite's subject), not a fidelity case.
const BUILT_IN_NAMES = new Set(['config', 'data', 'plugins', 'provisioning'])
const BUILT_IN_PATHS = ['/etc/perses/config', '/perses', '/etc/perses/plugins', '/etc/perses/provisioning']

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

// Strings a YAML 1.1 reader turns into something else when a chart writes
// them unquoted: booleans, numbers in exponent, octal, hex and base 60
// form, null, comments, mappings, aliases, anchors, tags, directives,
// trimmed spaces, and non-ASCII text.
const TRICKY_STRINGS = [
  'on', 'yes', 'no', 'off', 'y', 'true', 'null', '~', '1e3', '0755', '0x1f', '1:20',
  '#team-a', 'prod: eu', '*alias', '&anchor', '!tag', '%directive',
  ' leading space', 'trailing space ', 'données/é', 'dashboards 🙂',
]

/** Puts a tricky string into every field whose schema accepts it. */
function trickyInput(value: string): FidelityInput {
  const input: FidelityInput = { mountPath: `/${value}`, subPath: value }
  if (DNS_LABEL.test(value) && !BUILT_IN_NAMES.has(value)) input.name = value
  if (/^\S+$/u.test(value)) input.reference = value
  return input
}

// Printable ASCII, YAML's indicator characters included, plus a few
// non-ASCII letters and an emoji.
const character = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ß', 'Ω', '日', '本', '🙂') },
)
const segment = fc.array(character, { minLength: 1, maxLength: 10 }).map((chars) => chars.join('')).filter((text) => !text.includes('/') && text !== '.' && text !== '..')
const relativePath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((segments) => segments.join('/'))

const generatedInput: fc.Arbitrary<FidelityInput> = fc.record({
  name: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/).filter((name) => !BUILT_IN_NAMES.has(name)),
  reference: fc.oneof(
    fc.tuple(fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z]{2,5})?(:[0-9]{2,5})?$/), fc.stringMatching(/^[a-z0-9]+([._/-][a-z0-9]+){0,3}$/), fc.stringMatching(/^[\w][\w.-]{0,20}$/))
      .map(([host, repository, tag]) => `${host}/${repository}:${tag}`),
    fc.array(character, { minLength: 1, maxLength: 30 }).map((chars) => chars.join('')).filter((text) => /^\S+$/u.test(text)),
  ),
  mountPath: relativePath.map((path) => `/${path}`).filter((path) => !BUILT_IN_PATHS.some((builtIn) => path === builtIn || path.startsWith(`${builtIn}/`))),
  subPath: relativePath.filter((path) => !path.startsWith('/')),
})

/** Returns the values one input sets. Its mount path is also the only provisioning folder, so Perses reads it. */
function fidelitySettings(input: FidelityInput): VariantSettings {
  const settings: VariantSettings = {}
  if (input.name !== undefined) settings['ociArtifacts.name'] = input.name
  if (input.reference !== undefined) settings['ociArtifacts.image.reference'] = input.reference
  if (input.subPath !== undefined) settings['ociArtifacts.subPath'] = input.subPath
  if (input.mountPath !== undefined) {
    settings['ociArtifacts.mountPath'] = input.mountPath
    settings['config.provisioning.folders'] = [input.mountPath]
  }
  return settings
}

await defineRenderSuite({
  name: 'ociArtifacts strings survive YAML',
  baseFiles: ['fixtures/values/oci-enabled.yaml'],
  axes: {
    input: generatedAxis({
      fixed: TRICKY_STRINGS.map((value) => ({ label: JSON.stringify(value), input: trickyInput(value) })),
      arbitrary: generatedInput,
      seed: 20_241_204,
      count: 30,
      settings: fidelitySettings,
    }),
    helm: [3, 4],
    // subPath on an image volume needs Kubernetes 1.33 or later.
    kube: ['1.35'],
  },
  checks: [valueFidelity, helmParity],
})
