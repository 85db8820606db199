export { kubeSchema } from './kube-schema.ts'
export { offByDefault } from './off-by-default.ts'
export { pathMatching, pullPolicy, subPath } from './path-matching.ts'
export { rejectsInvalidValues } from './rejection.ts'
export { valuesSchema } from './values-schema.ts'
export type { Cell, Check, CheckContext, Finding } from './types.ts'

import { kubeSchema } from './kube-schema.ts'
import { offByDefault } from './off-by-default.ts'
import { pathMatching, pullPolicy, subPath } from './path-matching.ts'
import { rejectsInvalidValues } from './rejection.ts'
import type { Check } from './types.ts'
import { valuesSchema } from './values-schema.ts'

/** Every check, for the mutant self-test: each must have a mutant it catches. */
export const ALL_CHECKS: Check[] = [valuesSchema, rejectsInvalidValues, kubeSchema, pathMatching, subPath, pullPolicy, offByDefault]
