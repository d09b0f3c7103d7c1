// §4.13 purge / drop: empty a queue, or remove it (or a topic) with everything in it.
import { badRequest } from '../../shared/errors.js'
import { name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: admin on the queue. */
export const purgeRule: Rule = { right: 'admin', fields: ['queue'] }

export const purge: Handler = (request, session) => {
  const result = session.store.purge(name(request, 'queue'))
  return result instanceof Promise ? result.then((purged) => ({ purged })) : { purged: result }
}

/** PROTOCOL.md §7.3: admin on the queue, or on the topic. */
export const dropRule: Rule = { right: 'admin', fields: ['queue', 'topic'] }

/** A queue (`queue`) or a topic (`topic`): exactly one of them. */
export const drop: Handler = (request, session) => {
  const hasQueue = request.queue !== undefined
  if (hasQueue === (request.topic !== undefined)) throw badRequest('drop takes a queue or a topic: exactly one of them')
  return hasQueue ? session.store.drop(name(request, 'queue')) : session.store.dropTopic(name(request, 'topic'))
}
