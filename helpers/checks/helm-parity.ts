import { describeObject } from '../manifest/workloads.ts'
import type { RenderedDocument } from '../render/render-chart.ts'
import { isPlainObject } from '../render/values.ts'
import type { Check, CheckContext, CompanionRender, Finding } from './types.ts'
import { firstLines, show } from './types.ts'

/** Most differing paths listed per object, so one big difference stays readable. */
const MAX_PATHS_PER_OBJECT = 8

/** Lists the paths where two parsed values differ, with both values. */
export function diffValues(left: unknown, right: unknown, path = ''): Array<{ path: string; left: unknown; right: unknown }> {
  if (Array.isArray(left) && Array.isArray(right)) {
    const length = Math.max(left.length, right.length)
    return Array.from({ length }, (_, index) => diffValues(left[index], right[index], `${path}[${index}]`)).flat()
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()
    return keys.flatMap((key) => diffValues(left[key], right[key], path ? `${path}.${key}` : key))
  }
  return JSON.stringify(left) === JSON.stringify(right) ? [] : [{ path: path || '(whole object)', left, right }]
}

function byRef(documents: RenderedDocument[]): Map<string, RenderedDocument['object']> {
  return new Map(documents.map(({ object }) => [describeObject(object), object]))
}

/**
 * Helm parity: helm 3 and helm 4 render the same objects for the same cell,
 * or both reject it for the same kind of reason. The check runs on each
 * major's cell against the other major's render, which the cache shares.
 */
export const helmParity: Check = {
  id: 'helm-parity',
  title: 'helm 3 and helm 4 render the same objects',
  appliesTo: () => true,
  companions: (target) => [{ label: `helm ${target.cell.helmMajor === 3 ? 4 : 3}`, helmMajor: target.cell.helmMajor === 3 ? 4 : 3 }],
  run(context: CheckContext): Finding[] {
    const other = context.companions?.[0]
    if (!other?.helm) {
      return [{ severity: 'warning', expected: 'the other helm major to compare with', found: other?.render.ok === false ? other.render.message : 'none' }]
    }
    return compareRenders(context, other)
  },
}

function compareRenders(context: CheckContext, other: CompanionRender): Finding[] {
  const mine = `helm ${context.helm.version}`
  const theirs = `helm ${other.helm!.version}`
  const left = context.render
  const right = other.render
  if (!left.ok && !right.ok) {
    if (left.kind === right.kind) return []
    return [{ expected: `both majors to fail the same way (${mine}: ${left.kind} error)`, found: `${theirs}: ${right.kind} error: ${firstLines(right.message, 2)}` }]
  }
  if (!left.ok || !right.ok) {
    const failed = !left.ok ? `${mine} failed: ${firstLines(left.message, 2)}` : `${theirs} failed: ${firstLines((right as { message: string }).message, 2)}`
    return [{ expected: 'both majors to render these values, or both to reject them', found: `${!left.ok ? theirs : mine} rendered them, ${failed}` }]
  }

  const findings: Finding[] = []
  const leftObjects = byRef(left.documents)
  const rightObjects = byRef(right.documents)
  for (const ref of [...new Set([...leftObjects.keys(), ...rightObjects.keys()])].sort()) {
    const a = leftObjects.get(ref)
    const b = rightObjects.get(ref)
    if (!a || !b) {
      findings.push({ object: ref, expected: 'the object from both majors', found: `only ${a ? mine : theirs} renders it` })
      continue
    }
    const differences = diffValues(a, b)
    for (const difference of differences.slice(0, MAX_PATHS_PER_OBJECT)) {
      findings.push({ object: ref, path: difference.path, expected: `${mine}: ${show(difference.left)}`, found: `${theirs}: ${show(difference.right)}` })
    }
    if (differences.length > MAX_PATHS_PER_OBJECT) {
      findings.push({ object: ref, expected: 'no further differences', found: `${differences.length - MAX_PATHS_PER_OBJECT} more paths differ` })
    }
  }
  return findings
}
