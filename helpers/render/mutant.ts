import { existsSync } from 'node:fs'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import type { Values } from './values.ts'

/**
 * A text edit that breaks one file of the reference chart. A one-line `find`
 * is an exact substring; a multi-line `find` matches whole lines with their
 * indentation ignored. Either must occur once, so a stale mutant fails loudly.
 * A `replace` whose first line is not indented takes the indentation of the
 * first matched line; an indented one is inserted as written.
 */
export interface MutantEdit {
  file: string
  find?: string
  replace?: string
  /** Removes the file instead. */
  delete?: boolean
}

/** Values to render a mutant with, and what the chart must do with them. */
export interface MutantCell {
  values: Values
  /** Further values files rendered after `values`, in order. */
  layers?: Values[]
  kube?: string
  /** For cells the chart must reject: the field the error must name. */
  rejectField?: string
}

/** A deliberately broken variant of the reference chart, aimed at one check. */
export interface Mutant {
  id: string
  /** Check id this mutant must make fail. */
  check: string
  /** Defect the edit introduces, in one sentence. */
  breaks: string
  edits: MutantEdit[]
  cells: MutantCell[]
}

export const MUTANTS_DIR = path.resolve('fixtures', 'mutants')
export const REFERENCE_CHART = path.resolve('fixtures', 'charts', 'reference')

/** Reads every mutant definition in fixtures/mutants. */
export async function readMutants(dir = MUTANTS_DIR): Promise<Mutant[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.yaml')).sort()
  const mutants: Mutant[] = []
  for (const file of files) {
    const data = YAML.parse(await readFile(path.join(dir, file), 'utf8')) as Omit<Mutant, 'id'>
    mutants.push({ id: path.basename(file, '.yaml'), ...data })
  }
  return mutants
}

/** Copies the reference chart to a temporary folder and applies the mutant's edits. */
export async function buildMutantChart(mutant: Mutant, referenceDir = REFERENCE_CHART): Promise<{ dir: string; remove: () => Promise<void> }> {
  const parent = await mkdtemp(path.join(os.tmpdir(), `mutant-${mutant.id}-`))
  const dir = path.join(parent, 'perses')
  await cp(referenceDir, dir, { recursive: true })
  const remove = () => rm(parent, { recursive: true, force: true })

  try {
    for (const edit of mutant.edits) {
      const file = path.join(dir, edit.file)
      if (!existsSync(file)) throw new Error(`mutant ${mutant.id}: ${edit.file} is not in the reference chart`)
      if (edit.delete) {
        await rm(file)
        continue
      }
      const text = await readFile(file, 'utf8')
      const edited = applyEdit(text, edit)
      if (typeof edited === 'number') {
        throw new Error(`mutant ${mutant.id}: expected the text to replace once in ${edit.file}, found it ${edited} times; update fixtures/mutants/${mutant.id}.yaml to the reference chart`)
      }
      await writeFile(file, edited)
    }
  } catch (error) {
    await remove()
    throw error
  }
  return { dir, remove }
}

/** Returns the edited text, or how often `find` occurred when that is not once. */
function applyEdit(text: string, edit: MutantEdit): string | number {
  const find = edit.find ?? ''
  const replace = edit.replace ?? ''
  if (!find.includes('\n')) {
    const occurrences = find ? text.split(find).length - 1 : 0
    return occurrences === 1 ? text.replace(find, () => replace) : occurrences
  }

  const lines = text.split('\n')
  const wanted = find.split('\n').map((line) => line.trim())
  const starts: number[] = []
  for (let start = 0; start + wanted.length <= lines.length; start++) {
    if (wanted.every((line, offset) => lines[start + offset]!.trim() === line)) starts.push(start)
  }
  if (starts.length !== 1) return starts.length

  const start = starts[0]!
  const indent = /^\s*/.exec(lines[start]!)![0]
  const replacement = replace === '' ? [] : /^\s/.test(replace) ? replace.split('\n') : replace.split('\n').map((line) => (line ? indent + line : line))
  lines.splice(start, wanted.length, ...replacement)
  return lines.join('\n')
}
