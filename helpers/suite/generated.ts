import fc from 'fast-check'
import type { AxisValue } from '../render/values.ts'

/** Values paths and what one variant sets them to, as a named-variant matrix axis takes them. */
export type VariantSettings = Record<string, AxisValue>

export interface GeneratedAxisOptions<T> {
  /** Hand-picked inputs, each with the label its cell name shows. */
  fixed: Array<{ label: string; input: T }>
  /** Generator for the rest; fast-check draws `count` inputs from it. */
  arbitrary: fc.Arbitrary<T>
  /** Seed for fast-check, so every run renders the same cells and the cache holds. */
  seed: number
  count: number
  /** Returns the values paths to set for one input. */
  settings: (input: T) => VariantSettings
}

/**
 * Builds a named-variant matrix axis from fixed inputs plus inputs that
 * fast-check generates with a fixed seed. Generated variants are named
 * `seed <seed> #<n>`; a finding shows the input itself. The number of
 * renders stays bounded: one cell per input and per other axis value.
 */
export function generatedAxis<T>(options: GeneratedAxisOptions<T>): Record<string, VariantSettings> {
  const variants: Record<string, VariantSettings> = {}
  for (const { label, input } of options.fixed) variants[`fixed ${label}`] = options.settings(input)

  const generated = fc.sample(options.arbitrary, { seed: options.seed, numRuns: options.count })
  for (const [index, input] of generated.entries()) variants[`seed ${options.seed} #${index + 1}`] = options.settings(input)
  return variants
}
