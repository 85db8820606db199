export { kubeSchema } from './kube-schema.ts'
export { offByDefault } from './off-by-default.ts'
export { pathMatching, pullPolicy, subPath } from './path-matching.ts'
export { rejectsInvalidValues } from './rejection.ts'
export { valuesSchema } from './values-schema.ts'
export { uniqueness } from './uniqueness.ts'
export { valueFidelity } from './value-fidelity.ts'
export { storageModeCheck } from './storage-mode.ts'
export { requiredFields } from './required-fields.ts'
export { kubeVersionGating } from './kube-version-gating.ts'
export { rolloutTrigger } from './rollout-trigger.ts'
export { helmParity } from './helm-parity.ts'
export type { Cell, Check, CheckContext, Finding } from './types.ts'

import { kubeSchema } from './kube-schema.ts'
import { offByDefault } from './off-by-default.ts'
import { pathMatching, pullPolicy, subPath } from './path-matching.ts'
import { rejectsInvalidValues } from './rejection.ts'
import type { Check } from './types.ts'
import { valuesSchema } from './values-schema.ts'
import { uniqueness } from './uniqueness.ts'
import { valueFidelity } from './value-fidelity.ts'
import { storageModeCheck } from './storage-mode.ts'
import { requiredFields } from './required-fields.ts'
import { kubeVersionGating } from './kube-version-gating.ts'
import { rolloutTrigger } from './rollout-trigger.ts'
import { helmParity } from './helm-parity.ts'

/** Every check, for the mutant self-test: each must have a mutant it catches. */
export const ALL_CHECKS: Check[] = [
  valuesSchema, rejectsInvalidValues, kubeSchema, pathMatching, subPath, pullPolicy, offByDefault,
  uniqueness, valueFidelity, storageModeCheck, requiredFields, kubeVersionGating, rolloutTrigger, helmParity,
]
