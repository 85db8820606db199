import { describe, expect, test } from 'vitest'
import { expandMatrix, type MatrixAxes } from '../../helpers/suite/matrix.ts'
import { suiteTitle } from '../../helpers/suite/render-suite.ts'

function expand(axes: Record<string, unknown>, mode: 'full' | 'pairwise' = 'full') {
  return expandMatrix({ base: {}, axes: axes as MatrixAxes, mode, defaultHelm: [3, 4], defaultKube: '1.35' })
}

describe('matrix axes', () => {
  test.each([
    { axes: { 'ociArtifacts.subPath': [] }, message: 'matrix axis ociArtifacts.subPath has no values' },
    { axes: { storage: {} }, message: 'matrix axis storage has no values' },
    { axes: { helm: [] }, message: 'matrix axis helm has no values' },
    { axes: { kube: [] }, message: 'matrix axis kube has no values' },
    { axes: { replicas: 'three' }, message: 'matrix axis replicas must be an array of values or an object of named variants, found string' },
    { axes: { replicas: null }, message: 'matrix axis replicas must be an array of values or an object of named variants, found null' },
    { axes: { helm: [2] }, message: 'helm axis allows 3 or 4, found 2' },
    { axes: { helm: [3, 5] }, message: 'helm axis allows 3 or 4, found 5' },
    { axes: { kube: ['banana'] }, message: 'kube axis value "banana" is not a version like 1.33' },
    { axes: { kube: [''] }, message: 'kube axis value "" is not a version like 1.33' },
  ])('rejects $axes', ({ axes, message }) => {
    expect(() => expand(axes)).toThrow(message)
  })

  test('reports every invalid axis together', () => {
    expect(() => expand({ helm: [2], kube: ['banana'] })).toThrow('helm axis allows 3 or 4, found 2; kube axis value "banana" is not a version like 1.33')
  })

  test('accepts kube versions helm takes', () => {
    const { cells } = expand({ kube: ['1.33', 'v1.34', '1.35.2'], helm: [4] })

    expect(cells.map((cell) => cell.kubeVersion)).toEqual(['1.33', 'v1.34', '1.35.2'])
  })

  test('full matrix over the limit is rejected before expanding', () => {
    const axes = Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`axis${index}`, [1, 2, 3, 4]]))

    expect(() => expand({ ...axes, helm: [4] })).toThrow(/^full matrix has 16,777,216 cells; set MATRIX=pairwise or reduce axes/)
  })

  test('pairwise title prints sizes in full', () => {
    const axes = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`axis${index}`, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]))

    const expansion = expand({ ...axes, helm: [4] }, 'pairwise')

    expect(suiteTitle('big', 'pairwise', expansion)).toMatch(/^big \(pairwise: [\d,]+ of 100,000,000,000,000,000,000 cells\)$/)
  })
})
