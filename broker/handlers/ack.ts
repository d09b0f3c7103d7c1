// §4.8 ack: settle one receipt or a batch; the message leaves its queue.
import { receipts } from '../../shared/protocol/requests.js'
import { Later, RawFields, type Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: consume on the queue of every receipt named. */
export const ackRule: Rule = { right: 'consume', receipts: true }

export const ack: Handler = (request, session) => {
  const result = session.store.ack(receipts(request, session.limits.maxBatch))
  return result instanceof Promise ? new Later(result, ackedReply) : ackedReply(result)
}

function ackedReply(acked: number): RawFields {
  return new RawFields('"acked":' + JSON.stringify(acked))
}
