// §4.5 receive: up to `max` messages, waiting up to `wait` seconds for the first (long poll).
import { deliveryJson, type Delivery } from '../../shared/protocol/types.js'
import { batchSize, name, number, optionalNumber } from '../../shared/protocol/requests.js'
import { RawFields, type Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: consume on the queue. */
export const receiveRule: Rule = { right: 'consume', fields: ['queue'] }

export const receive: Handler = (request, session) => {
  const queue = name(request, 'queue')
  const max = batchSize(request, 'max', session.limits.maxBatch, 1)
  const askedWait = number(request, 'wait', 0, 20, 0)
  // Once the connection closes or the broker stops, nobody waits any more (PROTOCOL.md §4.5).
  const wait = session.signal.aborted ? 0 : askedWait
  const visibilityTimeout = optionalNumber(request, 'visibilityTimeout', 0, 43_200)
  const options = { max, wait, owner: session.owner, signal: session.signal, ...(visibilityTimeout !== undefined ? { visibilityTimeout } : {}) }
  const result = session.store.receive(queue, options)
  return result instanceof Promise ? result.then(messagesReply) : messagesReply(result)
}

export function messagesReply(messages: Delivery[], withReceipt = true): RawFields {
  return new RawFields('"messages":[' + messages.map((m) => deliveryJson(m, withReceipt)).join(',') + ']')
}
