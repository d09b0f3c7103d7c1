// The one place that decides whether a request may run (PROTOCOL.md §7.3): a table from op to
// the right it needs and the request fields that name the queues and topics it touches.
import { HubqError } from '../../shared/errors.js'
import type { Principal, Right } from './principal.js'

type Rule =
  /** Needs the right on the name in every listed field that is present. */
  | { right: Right; fields: readonly string[]; whenNoName?: 'all' }
  /** Settles a receipt: the right on some queue (the receipt itself proves the delivery). */
  | { right: Right; anyName: true }
  /** Needs no right beyond the op itself. */
  | { open: true }

const RULES: Record<string, Rule> = Object.assign(Object.create(null) as Record<string, Rule>, {
  hello: { open: true },
  ping: { open: true },
  unsubscribe: { open: true },
  publish: { right: 'publish', fields: ['queue', 'topic'] },
  receive: { right: 'consume', fields: ['queue'] },
  subscribe: { right: 'consume', fields: ['queue'] },
  ack: { right: 'consume', anyName: true },
  nack: { right: 'consume', anyName: true },
  touch: { right: 'consume', anyName: true },
  declare: { right: 'admin', fields: ['queue', 'deadLetter'] },
  purge: { right: 'admin', fields: ['queue'] },
  drop: { right: 'admin', fields: ['queue'] },
  peek: { right: 'admin', fields: ['queue'] },
  redrive: { right: 'admin', fields: ['queue'] },
  topic: { right: 'admin', fields: ['topic'] },
  bind: { right: 'admin', fields: ['topic', 'queue'] },
  unbind: { right: 'admin', fields: ['topic', 'queue'] },
  stats: { right: 'admin', fields: ['queue'], whenNoName: 'all' },
} satisfies Record<string, Rule>)

/** Longest name a pattern is matched against; longer ones are malformed and the op's own check says so. */
const MAX_NAME = 80

/** undefined when allowed, else the `forbidden` error to answer with. */
export function authorize(principal: Principal, op: string, request: Record<string, unknown>): HubqError | undefined {
  if (!principal.allowsOp(op)) return new HubqError('forbidden', `token ${principal.name} may not use ${op}`)
  const rule = RULES[op]
  if (rule === undefined || 'open' in rule) return undefined
  if ('anyName' in rule) {
    return principal.canAny(rule.right) ? undefined : new HubqError('forbidden', `token ${principal.name} has no ${rule.right} right`)
  }
  let named = false
  for (const field of rule.fields) {
    const value = request[field]
    // A missing or malformed name is left to the op's own validation (bad_request).
    if (typeof value !== 'string' || value.length > MAX_NAME) continue
    named = true
    if (!principal.can(rule.right, value)) {
      return new HubqError('forbidden', `token ${principal.name} has no ${rule.right} right on ${field} ${value}`)
    }
  }
  if (!named && rule.whenNoName === 'all' && !principal.canAll(rule.right)) {
    return new HubqError('forbidden', `token ${principal.name} needs ${rule.right} on every name ("*") for ${op} without a queue`)
  }
  return undefined
}
