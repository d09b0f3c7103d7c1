// §4.5 receive: up to `max` messages, waiting up to `wait` seconds for the first (long poll).
import { deliveryJson, type Delivery } from '../../shared/protocol/types.js'
import { integer, name, number, optionalNumber } from '../../shared/protocol/requests.js'
import { RawFields, type Handler } from './types.js'

export const receive: Handler = (request, session) => {
  const queue = name(request, 'queue')
  const max = integer(request, 'max', 1, session.limits.maxBatch, 1)
  const wait = number(request, 'wait', 0, 20, 0)
  const visibilityTimeout = optionalNumber(request, 'visibilityTimeout', 0, 43_200)
  const options = { max, wait, owner: session.owner, signal: session.signal, ...(visibilityTimeout !== undefined ? { visibilityTimeout } : {}) }
  const result = session.store.receive(queue, options)
  return result instanceof Promise ? result.then(messagesReply) : messagesReply(result)
}

export function messagesReply(messages: Delivery[], withReceipt = true): RawFields {
  return new RawFields('"messages":[' + messages.map((m) => deliveryJson(m, withReceipt)).join(',') + ']')
}
