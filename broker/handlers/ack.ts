// §4.8 ack: settle one receipt or a batch; the message leaves its queue.
import { receipts } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'

export const ack: Handler = (request, session) => {
  const result = session.store.ack(receipts(request, session.limits.maxBatch))
  return result instanceof Promise ? result.then((acked) => ({ acked })) : { acked: result }
}
