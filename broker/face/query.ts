// The query protocol's request side, shared by SQS and SNS: form (or URL) parameters such as
// `Attribute.1.Name` or `Attributes.entry.1.key` read into the nested shapes the JSON protocol
// uses. Numbered segments become lists (1-based); `member` lists and `entry` maps are unwrapped.
import { malformed } from './errors.js'
import type { Input } from './params.js'

type Tree = { [key: string]: Tree | string }

export function readForm(params: URLSearchParams): Input {
  const root: Tree = Object.create(null) as Tree
  for (const [key, value] of params) {
    const path = key.split('.')
    let node = root
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i] as string
      const next = node[segment]
      if (typeof next === 'string') throw malformed(`Parameter ${key} conflicts with ${path.slice(0, i + 1).join('.')}.`)
      node = next ?? (node[segment] = Object.create(null) as Tree)
    }
    const last = path[path.length - 1] as string
    if (typeof node[last] === 'object') throw malformed(`Parameter ${key} conflicts with a nested parameter.`)
    node[last] = value
  }
  return collapse(root) as Input
}

function collapse(node: Tree | string): unknown {
  if (typeof node === 'string') return node
  const keys = Object.keys(node)
  if (keys.length > 0 && keys.every((k) => /^[1-9]\d{0,4}$/.test(k))) {
    return keys.map(Number).sort((a, b) => a - b).map((k) => collapse(node[String(k)] as Tree))
  }
  if (keys.length === 1 && keys[0] === 'member') return asList(collapse(node.member as Tree))
  if (keys.length === 1 && keys[0] === 'entry') {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
    for (const item of asList(collapse(node.entry as Tree))) {
      if (typeof item !== 'object' || item === null) continue
      const e = item as Record<string, unknown>
      const key = e.key ?? e.Key ?? e.Name
      if (typeof key === 'string') out[key] = e.value ?? e.Value
    }
    return out
  }
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const k of keys) out[k] = collapse(node[k] as Tree)
  return out
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value]
}

/** A flattened list of {key, value} structures as a map (`Attribute.1.Name`/`.Value`). */
export function pairsToMap(value: unknown, keyName: string, valueName: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  for (const item of asList(value)) {
    if (typeof item !== 'object' || item === null) continue
    const e = item as Record<string, unknown>
    const key = e[keyName]
    if (typeof key === 'string') out[key] = e[valueName]
  }
  return out
}
