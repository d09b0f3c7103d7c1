// SNS-style simple filter policies: every key must be present in attrs with one of its values.
// No filter (or an empty one) matches every message, attrs or not.
import type { Attrs } from '../../../shared/protocol/types.js'

export function matchesFilter(filter: Record<string, string[]> | undefined, attrs: Attrs | undefined): boolean {
  if (!filter) return true
  for (const key of Object.keys(filter)) {
    // Own keys only: attrs may be a plain object, whose inherited `toString` is no attribute.
    if (!attrs || !Object.hasOwn(attrs, key)) return false
    if (!(filter[key] as string[]).includes(attrs[key] as string)) return false
  }
  return true
}
