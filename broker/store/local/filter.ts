// SNS-style simple filter policies: every key must be present in attrs with one of its values.
import type { Attrs } from '../../../shared/protocol/types.js'

export function matchesFilter(filter: Record<string, string[]> | undefined, attrs: Attrs | undefined): boolean {
  if (!filter) return true
  for (const key in filter) {
    const value = attrs?.[key]
    if (value === undefined || !(filter[key] as string[]).includes(value)) return false
  }
  return true
}
