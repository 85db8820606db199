import { splitPath } from '../render/values.ts'
import type { Check, CheckContext, Finding } from './types.ts'
import { firstLines } from './types.ts'

/**
 * True when an error message names the dotted values path in one of the
 * forms helm prints: `a.b.c`, `/a/b/c`, `a.b: c is required`, or helm 3's
 * `a.b: Additional property c is not allowed`. An empty path names nothing.
 */
export function mentionsField(message: string, dottedPath: string): boolean {
  const segments = splitPath(dottedPath)
  if (segments.length === 0) return false

  const leaf = segments[segments.length - 1]!
  const parent = segments.slice(0, -1)
  const forms = [segments.join('.'), `/${segments.join('/')}`]
  if (parent.length === 0) forms.push(leaf)
  else forms.push(`${parent.join('.')}: ${leaf}`, `${parent.join('.')}: Additional property ${leaf} is not allowed`, `/${parent.join('/')}': missing propert`, `${parent.join('.')}.${leaf}`)
  if (forms.some((form) => message.includes(form))) return true
  // helm 4 lists missing properties as: at '/a/b': missing property 'c'
  return message.includes(`/${parent.join('/')}'`) && message.includes(`'${leaf}'`)
}

/** Invalid cells: helm rejects them, with an error that names the bad field. */
export const rejectsInvalidValues: Check = {
  id: 'rejects-invalid-values',
  title: 'helm rejects the values and names the field',
  appliesTo: (context) => context.cell.rejection !== undefined,
  run(context: CheckContext): Finding[] {
    const rejection = context.cell.rejection!
    if (context.render.ok) {
      return [{ path: rejection.field, expected: 'helm to reject these values', found: 'helm rendered them' }]
    }

    if (splitPath(rejection.field).length === 0) {
      return [{ expected: 'an invalid cell with the dotted values path its error must name', found: 'an empty field, which any error would match' }]
    }

    const findings: Finding[] = []
    const message = context.render.message
    if (!mentionsField(message, rejection.field)) {
      findings.push({ path: rejection.field, expected: `an error that names ${rejection.field}`, found: firstLines(message) })
    }
    if (rejection.message && !rejection.message.test(message)) {
      findings.push({ path: rejection.field, expected: `an error matching ${rejection.message}`, found: firstLines(message) })
    }
    return findings
  },
}
