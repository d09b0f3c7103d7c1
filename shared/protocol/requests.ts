// Unknown JSON -> typed request, or a HubqError with a precise message (PROTOCOL.md §4 "Operations").
import { HubqError, badRequest } from '../errors.js'
import type { Attrs, PeekState, PublishInput } from './types.js'
import { checkJsonShape, shortestViolation, type ShapeLimits } from './json-shape.js'

export interface Limits {
  maxFrame: number
  maxMessage: number
  maxBatch: number
  maxConnections: number
  /** Queues the local store holds at most (PROTOCOL.md §3); creating one more is `limit`. */
  maxQueues: number
  /** Nesting depth of a request's JSON (the request object is depth 1). */
  maxDepth: number
  /** Keys of any one object in a request's JSON. */
  maxKeys: number
}

export const DEFAULT_LIMITS: Limits = {
  maxFrame: 1024 * 1024,
  maxMessage: 256 * 1024,
  maxBatch: 100,
  maxConnections: 10_000,
  maxQueues: 10_000,
  maxDepth: 32,
  maxKeys: 1000,
}

export type RequestId = string | number | undefined
type Obj = Record<string, unknown>

/** Queue and topic names: 1..80 characters of letters, digits, `-`, `_` and `.`. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,80}$/

function has(obj: Obj, key: string): boolean {
  // The value first: an absent field (the common case) is then decided by one property read.
  const value = obj[key]
  return value !== undefined && value !== null && Object.prototype.hasOwnProperty.call(obj, key)
}

export function name(obj: Obj, key: string): string {
  const value = obj[key]
  if (typeof value !== 'string') throw badRequest(`${key} must be a string`)
  if (!NAME_PATTERN.test(value)) {
    throw badRequest(`${key} must be 1 to 80 characters of letters, digits, '-', '_' or '.'`)
  }
  return value
}

export function optionalName(obj: Obj, key: string): string | undefined {
  return has(obj, key) ? name(obj, key) : undefined
}

export function string(obj: Obj, key: string, maxLength = 1024): string {
  const value = obj[key]
  if (typeof value !== 'string' || value.length === 0) throw badRequest(`${key} must be a non-empty string`)
  if (value.length > maxLength) throw badRequest(`${key} must be at most ${maxLength} characters`)
  return value
}

export function optionalString(obj: Obj, key: string, maxLength = 1024): string | undefined {
  return has(obj, key) ? string(obj, key, maxLength) : undefined
}

export function number(obj: Obj, key: string, min: number, max: number, fallback?: number): number {
  if (!has(obj, key)) {
    if (fallback === undefined) throw badRequest(`${key} is required`)
    return fallback
  }
  const value = obj[key]
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw badRequest(`${key} must be a number between ${min} and ${max}`)
  }
  return value
}

export function optionalNumber(obj: Obj, key: string, min: number, max: number): number | undefined {
  return has(obj, key) ? number(obj, key, min, max) : undefined
}

export function integer(obj: Obj, key: string, min: number, max: number, fallback?: number): number {
  const value = number(obj, key, min, max, fallback)
  if (!Number.isInteger(value)) throw badRequest(`${key} must be an integer between ${min} and ${max}`)
  return value
}

/** A batch size: 1..maxBatch; above max-batch is the configured `limit`, not a malformed field. */
export function batchSize(obj: Obj, key: string, maxBatch: number, fallback: number): number {
  const value = obj[key]
  if (typeof value === 'number' && Number.isInteger(value) && value > maxBatch) {
    throw new HubqError('limit', `${key} may be at most ${maxBatch} (max-batch)`)
  }
  return integer(obj, key, 1, maxBatch, fallback)
}

export function boolean(obj: Obj, key: string, fallback: boolean): boolean {
  if (!has(obj, key)) return fallback
  const value = obj[key]
  if (typeof value !== 'boolean') throw badRequest(`${key} must be true or false`)
  return value
}

export function attrs(obj: Obj, key = 'attrs'): Attrs | undefined {
  if (!has(obj, key)) return undefined
  const value = obj[key]
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`${key} must be an object of string values`)
  }
  const out: Attrs = Object.create(null) as Attrs
  let count = 0
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw badRequest(`${key}.${k} must be a string`)
    if (++count > 50) throw badRequest(`${key} may hold at most 50 entries`)
    out[k] = v
  }
  return count === 0 ? undefined : out
}

/** `filter`: {attr: [allowed string values]} as in SNS's simple filter policies. */
export function filter(obj: Obj): Record<string, string[]> | undefined {
  if (!has(obj, 'filter')) return undefined
  const value = obj.filter
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('filter must be an object of {attr: [allowed values]}')
  }
  // No prototype: a filter on an attribute named `__proto__` must stay a key, not become one.
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>
  for (const [k, v] of Object.entries(value)) {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) {
      throw badRequest(`filter.${k} must be a non-empty array of strings`)
    }
    out[k] = v as string[]
  }
  return out
}

export function receipts(obj: Obj, maxBatch: number): string[] {
  if (has(obj, 'receipts')) {
    const list = obj.receipts
    if (!Array.isArray(list) || list.length === 0) throw badRequest('receipts must be a non-empty array')
    if (list.length > maxBatch * 100) throw new HubqError('limit', `receipts may hold at most ${maxBatch * 100} entries`)
    for (const r of list) if (typeof r !== 'string') throw badRequest('receipts must hold strings')
    return list as string[]
  }
  // 1024: SQS receipt handles (cloud mode) run to several hundred characters.
  return [string(obj, 'receipt', 1024)]
}

/**
 * A message's size as SQS counts it: its body's JSON text, plus each attribute's name, type name
 * and value (hubq attrs are strings: the type is "String"), in UTF-8 bytes.
 */
export function messageSize(bodyJson: string, attrs: Attrs | undefined): number {
  let size = Buffer.byteLength(bodyJson)
  if (attrs) for (const key in attrs) size += Buffer.byteLength(key) + STRING_TYPE_BYTES + Buffer.byteLength(attrs[key] as string)
  return size
}

const STRING_TYPE_BYTES = 'String'.length

/** `message_too_large` when a message (its body's JSON text and its attrs) is over max-message bytes. */
export function checkMessageSize(bodyJson: string, attrs: Attrs | undefined, limits: Limits, where = ''): void {
  if (attrs === undefined) return checkBodySize(bodyJson, limits, where)
  const size = messageSize(bodyJson, attrs)
  if (size > limits.maxMessage) {
    throw new HubqError('message_too_large', `${where}body and attrs are ${size} bytes, larger than max-message (${limits.maxMessage} bytes)`)
  }
}

/** `message_too_large` when a body's JSON text, without attrs, is over max-message bytes. */
export function checkBodySize(bodyJson: string, limits: Limits, where = ''): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a body that short is within the limit unmeasured.
  if (bodyJson.length * 3 > limits.maxMessage && Buffer.byteLength(bodyJson) > limits.maxMessage) {
    throw new HubqError('message_too_large', `${where}body is larger than max-message (${limits.maxMessage} bytes)`)
  }
}

/** One message of a publish (the request itself, or one entry of `messages`). */
export function publishInput(obj: Obj, limits: Limits, where = ''): PublishInput {
  if (!Object.prototype.hasOwnProperty.call(obj, 'body')) throw badRequest(`${where}body is required`)
  const bodyJson = JSON.stringify(obj.body)
  if (bodyJson === undefined) throw badRequest(`${where}body must be a JSON value`)
  const a = attrs(obj)
  checkMessageSize(bodyJson, a, limits, where)
  const input: PublishInput = { bodyJson }
  if (a) input.attrs = a
  const delay = optionalNumber(obj, 'delay', 0, 365 * 86400)
  if (delay !== undefined) input.delay = delay
  const group = optionalString(obj, 'group', 128)
  if (group !== undefined) input.group = group
  const dedupId = optionalString(obj, 'dedupId', 128)
  if (dedupId !== undefined) input.dedupId = dedupId
  return input
}

export function publishInputs(obj: Obj, limits: Limits): { inputs: PublishInput[]; batch: boolean } {
  if (!has(obj, 'messages')) return { inputs: [publishInput(obj, limits)], batch: false }
  const list = obj.messages
  if (!Array.isArray(list) || list.length === 0) throw badRequest('messages must be a non-empty array')
  if (list.length > limits.maxBatch) {
    throw new HubqError('limit', `messages may hold at most ${limits.maxBatch} entries (max-batch)`)
  }
  const inputs = list.map((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw badRequest(`messages[${i}] must be an object`)
    return publishInput(m as Obj, limits, `messages[${i}].`)
  })
  return { inputs, batch: true }
}

export function peekState(obj: Obj): PeekState {
  if (!has(obj, 'state')) return 'ready'
  const s = obj.state
  if (s !== 'ready' && s !== 'inflight' && s !== 'delayed') {
    throw badRequest('state must be one of ready, inflight, delayed')
  }
  return s
}

export type Envelope =
  | { ok: true; op: string; id: RequestId; obj: Obj }
  | { ok: false; id: RequestId; error: HubqError }

/** Parses one frame's text into an envelope; an error keeps the id when one could be read. */
export function parseEnvelope(text: string, shape: ShapeLimits = DEFAULT_LIMITS): Envelope {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { ok: false, id: undefined, error: new HubqError('bad_json', `frame is not valid JSON: ${(err as Error).message}`) }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: undefined, error: badRequest('a request must be a JSON object') }
  }
  const obj = value as Obj
  const id = obj.id
  if (!(id === undefined || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) {
    return { ok: false, id: undefined, error: badRequest('id must be a string or a number') }
  }
  if (typeof obj.op !== 'string') return { ok: false, id, error: badRequest('op must be a string') }
  // Frames too short to break a shape limit skip the walk (it visits objects and arrays only).
  if (text.length >= shortestViolation(shape)) {
    const error = checkJsonShape(value, shape)
    if (error) return { ok: false, id, error }
  }
  return { ok: true, op: obj.op, id, obj }
}
