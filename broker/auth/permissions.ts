// The one place that decides whether a request may run (PROTOCOL.md §7.3). Each op declares the
// right it needs beside its handler (broker/handlers/*.ts); the routing table carries both, and
// an op that declares nothing is refused.
import { HubqError } from '../../shared/errors.js'
import type { Principal, Right } from './principal.js'

export type Rule =
  /** Needs the right on the name in every listed field that is present. */
  | { readonly right: Right; readonly fields: readonly string[]; readonly whenNoName?: 'all' }
  /**
   * Settles receipts (`receipt`, or each of `receipts`): the right on the queue each live receipt
   * was delivered from. A receipt the store does not know is left to the op (unknown_receipt).
   */
  | { readonly right: Right; readonly receipts: true }
  /** Needs no right beyond the op itself. */
  | { readonly open: true }

/** What the receipt rule asks the store: the queue of a live receipt. */
export interface ReceiptLookup {
  receiptQueue(receipt: string): string | undefined
}

/** Longest name a pattern is matched against; longer ones are malformed and the op's own check says so. */
const MAX_NAME = 80

/** undefined when allowed, else the `forbidden` error to answer with. `rule` is the op's own; none denies. */
export function authorize(
  principal: Principal, op: string, rule: Rule | undefined, request: Record<string, unknown>, store: ReceiptLookup,
): HubqError | undefined {
  if (rule === undefined) return new HubqError('forbidden', `${op} declares no rule, so no token may use it`)
  if (!principal.allowsOp(op)) return new HubqError('forbidden', `token ${principal.name} may not use ${op}`)
  if ('open' in rule) return undefined
  if ('receipts' in rule) return authorizeReceipts(principal, rule.right, request, store)
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

/**
 * Every receipt named must be of a queue the token has the right on; one that is not refuses the
 * whole request (a batch ack then acks nothing). The message does not name the queue: it may be
 * one the token must not learn of.
 */
function authorizeReceipts(principal: Principal, right: Right, request: Record<string, unknown>, store: ReceiptLookup): HubqError | undefined {
  if (!principal.canAny(right)) return new HubqError('forbidden', `token ${principal.name} has no ${right} right`)
  if (principal.canAll(right)) return undefined
  const one = request.receipt
  if (typeof one === 'string' && !mayHold(principal, right, one, store)) return notYours(principal, right)
  const many = request.receipts
  if (Array.isArray(many)) {
    for (const receipt of many) {
      if (typeof receipt === 'string' && !mayHold(principal, right, receipt, store)) return notYours(principal, right)
    }
  }
  return undefined
}

function mayHold(principal: Principal, right: Right, receipt: string, store: ReceiptLookup): boolean {
  const queue = store.receiptQueue(receipt)
  return queue === undefined || principal.can(right, queue)
}

function notYours(principal: Principal, right: Right): HubqError {
  return new HubqError('forbidden', `token ${principal.name} has no ${right} right on the queue of a receipt it named`)
}
