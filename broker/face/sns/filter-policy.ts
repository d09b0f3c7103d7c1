// SNS filter policies (PROTOCOL.md §12.8): checked when set, evaluated by the face on each
// Publish, and handed to the store's bind instead when hubq's own filter ({attr: [exact strings]},
// §6.11) says the same thing. Operators: exact strings and numbers, prefix, suffix,
// equals-ignore-case, anything-but (values, prefix, suffix), numeric (=, <, <=, >, >= and ranges),
// exists, and `$or`; on MessageAttributes or, with FilterPolicyScope MessageBody, on the message's
// JSON (nested keys, null).
import type { Attrs } from '../../../shared/protocol/types.js'
import { snsInvalidParameter } from '../errors.js'
import { attributesOf } from '../sqs/mapping.js'

export type FilterScope = 'MessageAttributes' | 'MessageBody'
export type Policy = { readonly [key: string]: unknown }
type Scalar = string | number | boolean | null
/** The values a policy key finds: undefined when the key is absent. */
type Lookup = (path: string[]) => Scalar[] | undefined

const MAX_KEYS = 5
const MAX_COMBINATIONS = 150
const MAX_NUMBER = 1e9
const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists'])

function invalid(reason: string): Error {
  return snsInvalidParameter(`Invalid parameter: FilterPolicy: ${reason}`)
}

/** A policy's text checked; InvalidParameter naming what is wrong. */
export function parsePolicy(text: string, scope: FilterScope): Policy {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalid('failed to parse JSON.')
  }
  if (!isObject(value)) throw invalid('the policy must be a JSON object.')
  const counts = { keys: 0, combinations: 1 }
  checkLevel(value, scope, counts, 0)
  if (counts.keys > MAX_KEYS) throw invalid(`filter policy can not have more than ${MAX_KEYS} keys.`)
  if (counts.combinations > MAX_COMBINATIONS) throw invalid(`filter policy is too complex (more than ${MAX_COMBINATIONS} combinations).`)
  return value
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkLevel(level: Record<string, unknown>, scope: FilterScope, counts: { keys: number; combinations: number }, depth: number): void {
  if (depth > 5) throw invalid('nested too deep.')
  for (const [key, value] of Object.entries(level)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) throw invalid('"$or" takes an array of at least two policies.')
      for (const branch of value) checkLevel(branch, scope, counts, depth + 1)
      continue
    }
    if (isObject(value)) {
      if (scope !== 'MessageBody') throw invalid(`"${key}": nested keys need FilterPolicyScope MessageBody.`)
      checkLevel(value, scope, counts, depth + 1)
      continue
    }
    if (!Array.isArray(value) || value.length === 0) throw invalid(`"${key}" must be a non-empty array of rules.`)
    for (const rule of value) checkRule(key, rule, scope)
    counts.keys++
    counts.combinations *= value.length
  }
}

function checkRule(key: string, rule: unknown, scope: FilterScope): void {
  if (typeof rule === 'string') return
  if (typeof rule === 'number') {
    if (Math.abs(rule) > MAX_NUMBER) throw invalid(`"${key}": numbers must be within -1e9 and 1e9.`)
    return
  }
  if (rule === null) {
    if (scope !== 'MessageBody') throw invalid(`"${key}": null matches only with FilterPolicyScope MessageBody.`)
    return
  }
  if (!isObject(rule)) throw invalid(`"${key}": a rule is a string, a number or an operator object.`)
  const names = Object.keys(rule)
  const op = names[0]
  if (names.length !== 1 || op === undefined || !OPERATORS.has(op)) throw invalid(`"${key}": unrecognized match type ${names.join(', ') || '(none)'}.`)
  const arg = rule[op]
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string' || arg === '') throw invalid(`"${key}": ${op} takes a non-empty string.`)
      return
    case 'exists':
      if (typeof arg !== 'boolean') throw invalid(`"${key}": exists takes true or false.`)
      return
    case 'numeric':
      checkNumeric(key, arg)
      return
    default: // anything-but
      if (typeof arg === 'string' || typeof arg === 'number') return
      if (Array.isArray(arg) && arg.length > 0 && arg.every((a) => typeof a === 'string' || typeof a === 'number')) return
      if (isObject(arg)) {
        const inner = Object.keys(arg)
        if (inner.length === 1 && (inner[0] === 'prefix' || inner[0] === 'suffix') && typeof arg[inner[0]] === 'string' && arg[inner[0]] !== '') return
      }
      throw invalid(`"${key}": anything-but takes a string, a number, a list of them, or {"prefix"} / {"suffix"}.`)
  }
}

const LOWER = new Set(['>', '>='])
const UPPER = new Set(['<', '<='])

function checkNumeric(key: string, arg: unknown): void {
  const bad = (): Error => invalid(`"${key}": numeric takes ["op", n] or [">"|">=", n, "<"|"<=", m] with n < m.`)
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw bad()
  for (let i = 0; i < arg.length; i += 2) {
    const n = arg[i + 1]
    if (typeof n !== 'number' || Math.abs(n) > MAX_NUMBER) throw bad()
  }
  const first = arg[0]
  if (arg.length === 2) {
    if (typeof first !== 'string' || !(first === '=' || LOWER.has(first) || UPPER.has(first))) throw bad()
    return
  }
  if (typeof first !== 'string' || !LOWER.has(first) || typeof arg[2] !== 'string' || !UPPER.has(arg[2]) || (arg[1] as number) >= (arg[3] as number)) throw bad()
}

/** The store's bind filter saying the same as `policy`, if hubq's filter can: exact strings on attributes only. */
export function bindFilterOf(policy: Policy, scope: FilterScope): Record<string, string[]> | undefined | false {
  if (scope !== 'MessageAttributes') return false
  const keys = Object.keys(policy)
  if (keys.length === 0) return undefined
  const filter: Record<string, string[]> = {}
  for (const key of keys) {
    const rules = policy[key]
    if (key === '$or' || !Array.isArray(rules) || !rules.every((r) => typeof r === 'string')) return false
    filter[key] = rules as string[]
  }
  return filter
}

/** Whether a message with these hubq attrs (and this SNS Message text) passes the policy. */
export function matchesPolicy(policy: Policy, scope: FilterScope, attrs: Attrs | undefined, message: string): boolean {
  return matchLevel(policy, scope === 'MessageAttributes' ? attributeLookup(attrs) : bodyLookup(message), [])
}

function attributeLookup(attrs: Attrs | undefined): Lookup {
  const attributes = attributesOf(attrs)
  return ([name]) => {
    if (name === undefined || !Object.hasOwn(attributes, name)) return undefined
    const a = attributes[name]
    if (a === undefined) return undefined
    if (a.DataType.startsWith('Binary')) return []
    const text = a.StringValue ?? ''
    if (a.DataType.startsWith('Number')) return [Number(text)]
    if (a.DataType === 'String.Array') {
      try {
        const items: unknown = JSON.parse(text)
        if (Array.isArray(items)) return items.filter((v): v is Scalar => v === null || typeof v !== 'object')
      } catch {
        // Not a JSON array: SNS refuses such a publish; here it is matched as one string.
      }
    }
    return [text]
  }
}

function bodyLookup(message: string): Lookup {
  let body: unknown
  try {
    body = JSON.parse(message)
  } catch {
    body = undefined
  }
  return (path) => {
    let node: unknown = body
    for (const key of path) {
      if (!isObject(node) || !Object.hasOwn(node, key)) return undefined
      node = node[key]
    }
    if (Array.isArray(node)) return node.filter((v): v is Scalar => v === null || typeof v !== 'object')
    return node === null || typeof node !== 'object' ? [node as Scalar] : []
  }
}

function matchLevel(level: Policy, lookup: Lookup, path: string[]): boolean {
  for (const [key, value] of Object.entries(level)) {
    if (key === '$or') {
      if (!(value as Policy[]).some((branch) => matchLevel(branch, lookup, path))) return false
    } else if (isObject(value)) {
      if (!matchLevel(value, lookup, [...path, key])) return false
    } else {
      const found = lookup([...path, key])
      if (!(value as unknown[]).some((rule) => matchRule(rule, found))) return false
    }
  }
  return true
}

function matchRule(rule: unknown, found: Scalar[] | undefined): boolean {
  if (isObject(rule) && 'exists' in rule) return (found !== undefined) === rule.exists
  if (found === undefined) return false
  if (isObject(rule) && 'anything-but' in rule) return found.length > 0 && found.every((v) => !anythingButHits(rule['anything-but'], v))
  return found.some((v) => matchValue(rule, v))
}

function matchValue(rule: unknown, v: Scalar): boolean {
  if (rule === null || typeof rule !== 'object') return v === rule
  const r = rule as Record<string, unknown>
  if (typeof r.prefix === 'string') return typeof v === 'string' && v.startsWith(r.prefix)
  if (typeof r.suffix === 'string') return typeof v === 'string' && v.endsWith(r.suffix)
  if (typeof r['equals-ignore-case'] === 'string') return typeof v === 'string' && v.toLowerCase() === r['equals-ignore-case'].toLowerCase()
  if (Array.isArray(r.numeric)) return typeof v === 'number' && numericHolds(r.numeric as (string | number)[], v)
  return false
}

/** Whether `v` is one of what anything-but excludes. */
function anythingButHits(arg: unknown, v: Scalar): boolean {
  if (Array.isArray(arg)) return arg.includes(v)
  if (isObject(arg)) {
    if (typeof arg.prefix === 'string') return typeof v === 'string' && v.startsWith(arg.prefix)
    if (typeof arg.suffix === 'string') return typeof v === 'string' && v.endsWith(arg.suffix)
  }
  return arg === v
}

function numericHolds(conditions: (string | number)[], v: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const n = conditions[i + 1] as number
    switch (conditions[i]) {
      case '=': if (v !== n) return false; break
      case '<': if (!(v < n)) return false; break
      case '<=': if (!(v <= n)) return false; break
      case '>': if (!(v > n)) return false; break
      case '>=': if (!(v >= n)) return false; break
      default: return false
    }
  }
  return true
}
