// §4.13 purge / drop: empty a queue, or remove it with everything in it.
import { name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: admin on the queue. */
export const purgeRule: Rule = { right: 'admin', fields: ['queue'] }

export const purge: Handler = (request, session) => {
  const result = session.store.purge(name(request, 'queue'))
  return result instanceof Promise ? result.then((purged) => ({ purged })) : { purged: result }
}

/** PROTOCOL.md §7.3: admin on the queue. */
export const dropRule: Rule = { right: 'admin', fields: ['queue'] }

export const drop: Handler = (request, session) => session.store.drop(name(request, 'queue'))
