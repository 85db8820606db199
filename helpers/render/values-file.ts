import { readFile } from 'node:fs/promises'
import YAML from 'yaml'
import { isPlainObject, type Values } from './values.ts'

export class ValuesFileError extends Error {
  override name = 'ValuesFileError'
}

/**
 * Returns a YAML parse error as its first line, which gives the line and
 * column, and the source snippet with the caret below it that the yaml
 * package prints after it (at most four lines in all).
 */
export function describeYamlError(error: unknown): string {
  const lines = (error as Error).message.split('\n').filter((line) => line.trim() !== '')
  return lines.slice(0, 4).join('\n')
}

/** Reads a YAML values file, which must contain one mapping, as helm requires. */
export async function readValuesFile(file: string): Promise<Values> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ValuesFileError(`values file ${file} could not be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }

  let parsed: unknown
  try {
    parsed = YAML.parse(text)
  } catch (error) {
    throw new ValuesFileError(`values file ${file} is not valid YAML: ${describeYamlError(error)}`)
  }
  if (parsed === null || parsed === undefined) return {}
  if (!isPlainObject(parsed)) throw new ValuesFileError(`values file ${file} must contain a mapping of values, found ${Array.isArray(parsed) ? 'a list' : typeof parsed}`)
  return parsed
}
