import { ALL_CHECKS } from '../../helpers/checks/index.ts'
import { defineMutantSuite } from '../../helpers/suite/mutant-suite.ts'

await defineMutantSuite(ALL_CHECKS)
