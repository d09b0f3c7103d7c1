// Bodies kept on disk only (PROTOCOL.md §9): a queue keeps the bodies of its first ready
// messages in memory and lets the log hold the rest, read back as they are taken (the engine
// reads a taken one's back through its port: broker/queues/engine.ts, unspill).
import { HubqError } from '../../../shared/errors.js'
import type { Journal, StoredBody } from '../journal.js'
export { BODIES_IN_MEMORY } from '../../queues/port.js'
import type { Queue } from '../../queues/queue.js'
import { State, type StoredMessage } from '../../queues/message.js'

/**
 * A written message behind `bodiesInMemory` others lets go of its body and its attrs: the log
 * has them. Only a ready one (one out with a consumer, or waiting out a delay, keeps its body).
 */
export function spill(message: StoredMessage, journal: Journal, bodiesInMemory: number): void {
  if (message.state !== State.Ready || journal.readBody === undefined) return
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
    const stored = journal.readBody?.(message.seq)
    if (stored) restore(message, stored)
  }
}

/** The body and attrs, from memory or from the log (without keeping them in memory after). */
export function bodyOf(message: StoredMessage, journal: Journal): StoredBody | undefined {
  const bodyJson = message.bodyJson
  return bodyJson !== undefined ? { bodyJson, attrs: message.attrs } : journal.readBody?.(message.seq)
}

/** For peek: the body and attrs, wherever they are kept, without keeping them in memory after. */
export function readableBody(message: StoredMessage, journal: Journal): StoredBody {
  const body = bodyOf(message, journal)
  if (body === undefined) throw new HubqError('unavailable', 'a message body kept in the log could not be read')
  return body
}
