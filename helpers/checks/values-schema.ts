import { Ajv, type ValidateFunction } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ChartUnderTest } from '../render/chart.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { firstLines } from './types.ts'

// ajv-formats ships CommonJS; its default export arrives wrapped under ESM.
type AddFormats = (ajv: Ajv) => Ajv
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats

const validators = new WeakMap<ChartUnderTest, ValidateFunction>()

/** Compiles the chart's values.schema.json once per chart with the draft it declares. */
export function schemaValidator(chart: ChartUnderTest): ValidateFunction | undefined {
  if (!chart.schema) return undefined
  const cached = validators.get(chart)
  if (cached) return cached

  // helm ignores $schema and validates by its own draft; ajv would refuse an
  // unknown meta-schema URI (e.g. https://json-schema.org/schema#), so the
  // URI only picks the draft here and is left out of the compiled copy.
  const { $schema: declared, ...schema } = chart.schema as { $schema?: string }
  const options = { allErrors: true, strict: false, validateFormats: true, validateSchema: false }
  const ajv = /2019-09|2020-12/.test(String(declared ?? '')) ? new Ajv2020(options) : new Ajv(options)
  addFormats(ajv)
  const validate = ajv.compile(schema)
  validators.set(chart, validate)
  return validate
}

/** Lists ajv's errors as `path: message` lines. */
export function describeSchemaErrors(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword}`).join('; ')
}

/**
 * Values schema: ajv and helm agree on every cell. helm rejecting the values
 * by schema must mean ajv rejects them too, and the other way round.
 */
export const valuesSchema: Check = {
  id: 'values-schema',
  title: 'ajv and helm agree on the values schema',
  appliesTo: () => true,
  run(context: CheckContext): Finding[] {
    let validate: ValidateFunction | undefined
    try {
      validate = schemaValidator(context.chart)
    } catch (error) {
      return [{ path: 'values.schema.json', expected: 'a schema ajv can compile', found: (error as Error).message }]
    }
    if (!validate) return [{ path: 'values.schema.json', expected: 'a values schema in the chart', found: 'none, so helm accepts any values' }]

    const ajvAccepts = validate(context.effectiveValues)
    const helmRejectsBySchema = !context.render.ok && context.render.kind === 'schema'
    if (ajvAccepts && helmRejectsBySchema) {
      return [{ path: 'values', expected: 'helm to accept values that ajv accepts', found: `helm rejected them: ${firstLines(context.render.ok ? '' : context.render.message)}` }]
    }
    if (!ajvAccepts && !helmRejectsBySchema) {
      return [{ path: 'values', expected: `helm to reject values that ajv rejects (${describeSchemaErrors(validate)})`, found: context.render.ok ? 'helm rendered them' : `helm failed for another reason: ${firstLines(context.render.message)}` }]
    }
    return []
  },
}
