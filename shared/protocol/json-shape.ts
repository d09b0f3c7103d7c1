// Bounds on the shape of a parsed request (PROTOCOL.md §3): nesting depth and keys per object.
// Deep nesting would otherwise reach recursive code later (JSON.stringify of a body overflows the
// stack near 10,000 levels), and a huge object costs every later pass over it. The walk is
// iterative with an explicit stack, so a hostile value cannot make the check itself recurse.
import { HubqError } from '../errors.js'

export interface ShapeLimits {
  maxDepth: number
  maxKeys: number
}

/** undefined when the value is within the limits, else the `limit` error. */
export function checkJsonShape(value: unknown, limits: ShapeLimits): HubqError | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const values: object[] = [value]
  const depths: number[] = [1]
  while (values.length > 0) {
    const node = values.pop() as object
    const depth = depths.pop() as number
    if (depth > limits.maxDepth) return new HubqError('limit', `JSON nested deeper than max-depth (${limits.maxDepth})`)
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i]
        if (typeof child === 'object' && child !== null) {
          values.push(child)
          depths.push(depth + 1)
        }
      }
      continue
    }
    let keys = 0
    for (const key in node) {
      if (++keys > limits.maxKeys) return new HubqError('limit', `a JSON object has more than max-keys (${limits.maxKeys}) keys`)
      const child: unknown = (node as Record<string, unknown>)[key]
      if (typeof child === 'object' && child !== null) {
        values.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return undefined
}

/**
 * The shortest text that can break a limit: depth d needs 2(d) brackets, k keys at least 4k
 * characters (`"":0,` with distinct keys needs more). Frames shorter than this skip the walk.
 */
export function shortestViolation(limits: ShapeLimits): number {
  return Math.min(2 * (limits.maxDepth + 1), 4 * limits.maxKeys + 2)
}

/**
 * False when the text cannot break a limit, so the walk can be skipped: it is shorter than
 * `shortestViolation`, or it is too short for max-keys and holds no more `{` and `[` than
 * max-depth (every level of nesting opens with one; ones inside strings only make this
 * answer true more often). A flat request, as most are, is then decided by two scans.
 */
export function mayBreakShape(text: string, limits: ShapeLimits): boolean {
  if (text.length < shortestViolation(limits)) return false
  if (text.length >= 4 * limits.maxKeys + 2) return true
  return countOf(text, '{', limits.maxDepth) + countOf(text, '[', limits.maxDepth) > limits.maxDepth
}

/** Occurrences of `char` in `text`, counted up to `cap + 1` at most. */
function countOf(text: string, char: string, cap: number): number {
  let count = 0
  for (let at = text.indexOf(char); at !== -1 && count <= cap; at = text.indexOf(char, at + 1)) count++
  return count
}
