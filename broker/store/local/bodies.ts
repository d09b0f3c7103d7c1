// Bodies kept on disk only (PROTOCOL.md §9): a queue keeps the bodies of its first ready
// messages in memory and lets the log hold the rest, read back as they are taken.
import { HubqError } from '../../../shared/errors.js'
import type { Journal, StoredBody } from '../journal.js'
import { State, type Queue, type StoredMessage } from './queue.js'

/**
 * A queue keeps the bodies of this many ready messages in memory; a message published behind
 * them keeps its body on disk only, once written, and it is read back as it is taken
 * (PROTOCOL.md §9). A deep queue then costs memory for its messages' bookkeeping, not their bodies.
 */
export const BODIES_IN_MEMORY = 10_000

/**
 * A written message behind `bodiesInMemory` others lets go of its body and its attrs: the log
 * has them. Only a ready one (one out with a consumer, or waiting out a delay, keeps its body).
 */
export function spill(message: StoredMessage, journal: Journal, bodiesInMemory: number): void {
  if (message.state !== State.Ready || message.where === undefined || journal.readBody === undefined) return
  if (message.queue.readyLength > bodiesInMemory) {
    message.bodyJson = undefined
    message.attrs = undefined
  }
}

/** The body and attrs read back from the log are the message's again. */
function restore(message: StoredMessage, stored: StoredBody): void {
  message.bodyJson = stored.bodyJson
  message.attrs = stored.attrs
}

/**
 * After a restart, as after a publish: the first `bodiesInMemory` ready messages of a queue
 * have their bodies in memory, the rest in the log only. One that cannot be read now is tried
 * again when it is taken.
 */
export function loadFront(queue: Queue, journal: Journal, bodiesInMemory: number): void {
  let seen = 0
  for (const message of queue.readyMessages()) {
    if (++seen > bodiesInMemory) return
    if (message.bodyJson !== undefined) continue
    const stored = journal.readBody?.(message)
    if (stored) restore(message, stored)
  }
}

/**
 * Reads a taken message's body back from the log. When it cannot (the error is logged), the
 * message goes back to the front of its queue and nothing more is taken from it this time.
 */
export function unspill(message: StoredMessage, journal: Journal): boolean {
  const stored = journal.readBody?.(message)
  if (stored !== undefined) {
    restore(message, stored)
    return true
  }
  message.queue.settleGroup(message)
  message.queue.pushReady(message, true)
  return false
}

/** The body and attrs, from memory or from the log (without keeping them in memory after). */
export function bodyOf(message: StoredMessage, journal: Journal): StoredBody | undefined {
  const bodyJson = message.bodyJson
  return bodyJson !== undefined ? { bodyJson, attrs: message.attrs } : journal.readBody?.(message)
}

/** For peek: the body and attrs, wherever they are kept, without keeping them in memory after. */
export function readableBody(message: StoredMessage, journal: Journal): StoredBody {
  const body = bodyOf(message, journal)
  if (body === undefined) throw new HubqError('unavailable', 'a message body kept in the log could not be read')
  return body
}
