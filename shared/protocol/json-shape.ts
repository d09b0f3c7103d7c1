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
