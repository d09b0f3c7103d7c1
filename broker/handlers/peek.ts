// §4.14 peek: look at messages in one state without changing anything.
import { batchSize, name, peekState } from '../../shared/protocol/requests.js'
import { messagesReply } from './receive.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: admin on the queue. */
export const peekRule: Rule = { right: 'admin', fields: ['queue'] }

export const peek: Handler = (request, session) => {
  const result = session.store.peek(name(request, 'queue'), peekState(request), batchSize(request, 'max', session.limits.maxBatch, 10))
  return result instanceof Promise ? result.then((m) => messagesReply(m, false)) : messagesReply(result, false)
}
