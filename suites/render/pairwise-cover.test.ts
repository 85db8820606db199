import { describe, expect, test } from 'vitest'
import { pairwiseRows } from '../../helpers/suite/matrix.ts'

/** Lists the value pairs of two axes that no row contains, as `axis:value × axis:value`. */
function uncoveredPairs(sizes: number[], rows: number[][]): string[] {
  const missing: string[] = []
  for (let first = 0; first < sizes.length; first++) {
    for (let second = first + 1; second < sizes.length; second++) {
      for (let a = 0; a < sizes[first]!; a++) {
        for (let b = 0; b < sizes[second]!; b++) {
          if (!rows.some((row) => row[first] === a && row[second] === b)) missing.push(`${first}:${a} × ${second}:${b}`)
        }
      }
    }
  }
  return missing
}

const product = (sizes: number[]) => sizes.reduce((total, size) => total * size, 1)

const CASES: Array<{ sizes: number[] }> = [
  { sizes: [2, 2, 2] },
  { sizes: [3, 3, 3, 3] },
  { sizes: [4, 3, 2, 2] },
  { sizes: [2, 6, 3, 2, 2] },
  { sizes: [5, 5, 4, 3, 2, 2] },
  { sizes: [10, 2, 2, 2, 2, 2, 2] },
]

describe('pairwiseRows', () => {
  test.each(CASES)('covers every pair of sizes $sizes', ({ sizes }) => {
    const rows = pairwiseRows(sizes)

    expect(uncoveredPairs(sizes, rows)).toEqual([])
  })

  test.each(CASES)('is smaller than the product for sizes $sizes', ({ sizes }) => {
    const rows = pairwiseRows(sizes)

    expect(rows.length).toBeLessThan(product(sizes))
    // No cover can be smaller than the two largest axes multiplied.
    const [largest, second] = [...sizes].sort((a, b) => b - a)
    expect(rows.length).toBeGreaterThanOrEqual(largest! * second!)
  })

  test.each(CASES)('keeps every value in range for sizes $sizes', ({ sizes }) => {
    const rows = pairwiseRows(sizes)

    for (const row of rows) {
      expect(row).toHaveLength(sizes.length)
      row.forEach((value, axis) => {
        expect(value).toBeGreaterThanOrEqual(0)
        expect(value).toBeLessThan(sizes[axis]!)
      })
    }
  })

  test('returns the same rows on every call', () => {
    expect(pairwiseRows([4, 3, 2, 2])).toEqual(pairwiseRows([4, 3, 2, 2]))
  })

  test('returns the full product for two axes', () => {
    expect(pairwiseRows([3, 4])).toHaveLength(12)
  })
})
