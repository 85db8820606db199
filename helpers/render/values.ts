/** Marks a matrix value that removes the key instead of setting it. */
export const ABSENT: unique symbol = Symbol('absent')
export type AxisValue = unknown | typeof ABSENT

export type Values = Record<string, unknown>

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function splitPath(dottedPath: string): string[] {
  return dottedPath.split('.').filter((segment) => segment.length > 0)
}

/** Returns the value at a dotted path, or undefined when any step is missing. */
export function getPath(values: unknown, dottedPath: string): unknown {
  let current: unknown = values
  for (const segment of splitPath(dottedPath)) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}

/** Returns a copy of `values` with the dotted path set, or removed for ABSENT. */
export function withPath(values: Values, dottedPath: string, value: AxisValue): Values {
  const segments = splitPath(dottedPath)
  const copy = structuredClone(values)
  let parent: Record<string, unknown> = copy
  for (const segment of segments.slice(0, -1)) {
    const next = parent[segment]
    if (!isPlainObject(next)) {
      if (value === ABSENT) return copy
      parent[segment] = {}
    }
    parent = parent[segment] as Record<string, unknown>
  }

  const leaf = segments[segments.length - 1]!
  if (value === ABSENT) delete parent[leaf]
  else parent[leaf] = structuredClone(value)
  return copy
}

/** Merges user overlays in order, later files winning, as `helm -f a -f b` does. */
export function mergeValues(...layers: Values[]): Values {
  const result: Values = {}
  for (const layer of layers) mergeInto(result, layer)
  return result
}

function mergeInto(target: Values, source: Values): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key]
    if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value)
    else target[key] = structuredClone(value)
  }
}

/**
 * Combines chart defaults with user values the way helm does before it
 * validates the schema: user maps merge into default maps, and a user null
 * removes a key the chart defines (a null for a key the chart lacks stays).
 */
export function coalesceValues(defaults: Values, user: Values): Values {
  const result = structuredClone(defaults)
  coalesceInto(result, user)
  return result
}

function coalesceInto(target: Values, source: Values): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key]
    if (value === null) {
      if (key in target) delete target[key]
      else target[key] = null
      continue
    }
    if (isPlainObject(existing) && isPlainObject(value)) coalesceInto(existing, value)
    else target[key] = structuredClone(value)
  }
}
