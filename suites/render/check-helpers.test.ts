import { describe, expect, test } from 'vitest'
import { diffValues } from '../../helpers/checks/helm-parity.ts'
import { mentionsField, rejectsInvalidValues } from '../../helpers/checks/rejection.ts'
import type { CheckContext } from '../../helpers/checks/types.ts'
import { compareKubeVersions, gateStage } from '../../helpers/checks/kube-version-gating.ts'
import { changeReference, effectivePullPolicy } from '../../helpers/checks/rollout-trigger.ts'

const DIGEST = `sha256:${'ab'.repeat(32)}`

describe('effectivePullPolicy', () => {
  test.each([
    ['registry.example.com/a:v1', undefined, 'IfNotPresent'],
    ['registry.example.com/a:latest', undefined, 'Always'],
    ['registry.example.com/a', undefined, 'Always'],
    ['localhost:5000/a', undefined, 'Always'],
    ['localhost:5000/a:v1', undefined, 'IfNotPresent'],
    [`registry.example.com/a@${DIGEST}`, undefined, 'IfNotPresent'],
    [`registry.example.com/a:latest@${DIGEST}`, undefined, 'Always'],
    ['registry.example.com/a:latest', 'IfNotPresent', 'IfNotPresent'],
  ])('%s with pullPolicy %s is %s', (reference, pullPolicy, expected) => {
    expect(effectivePullPolicy(reference, pullPolicy).policy).toBe(expected)
  })
})

describe('changeReference', () => {
  test('changes the tag', () => {
    expect(changeReference('registry.example.com/a:v1')).toBe('registry.example.com/a:v1-next')
  })

  test('adds a tag after a registry port', () => {
    expect(changeReference('localhost:5000/a')).toBe('localhost:5000/a:next')
  })

  test('keeps a digest a valid digest', () => {
    const changed = changeReference(`registry.example.com/a:v1@${DIGEST}`)

    expect(changed).not.toBe(`registry.example.com/a:v1@${DIGEST}`)
    expect(changed).toMatch(/^registry\.example\.com\/a:v1@sha256:[0-9a-f]{64}$/)
  })
})

describe('kube version table', () => {
  test('compares minor versions numerically', () => {
    expect(compareKubeVersions('1.9', '1.31')).toBeLessThan(0)
    expect(compareKubeVersions('v1.33.2', '1.33')).toBeGreaterThan(0)
    expect(compareKubeVersions('1.35', '1.35.0')).toBe(0)
  })

  test.each([
    ['1.30', undefined],
    ['1.31', 'alpha'],
    ['1.32.4', 'alpha'],
    ['1.33', 'beta'],
    ['1.35', 'beta'],
  ])('gate stage of %s is %s', (version, stage) => {
    expect(gateStage(version)?.stage).toBe(stage)
  })
})

describe('diffValues', () => {
  test('lists each differing path with both values', () => {
    const left = { spec: { type: 'ClusterIP', ports: [{ port: 80 }] } }
    const right = { spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 443 }] } }

    expect(diffValues(left, right)).toEqual([
      { path: 'spec.ports[1]', left: undefined, right: { port: 443 } },
      { path: 'spec.type', left: 'ClusterIP', right: 'NodePort' },
    ])
  })

  test('returns nothing for equal values', () => {
    expect(diffValues({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([])
  })
})

describe('invalid-cell check', () => {
  test('accepts helm 3 additional-property form', () => {
    expect(mentionsField('- ociArtifacts.image: Additional property leaf is not allowed', 'ociArtifacts.image.leaf')).toBe(true)
  })

  test('empty field path names nothing', () => {
    expect(mentionsField('any error at all', '')).toBe(false)
  })

  test('empty field path is a finding', async () => {
    const context = { cell: { rejection: { field: '' } }, render: { ok: false, kind: 'schema', message: 'any error' } } as unknown as CheckContext

    const findings = await rejectsInvalidValues.run(context)

    expect(findings).toHaveLength(1)
    expect(findings[0]!.found).toMatch(/empty field/)
  })
})
