// §4.16 stats: counts per queue (or one queue), topics with their bindings, connections, uptime.
import { optionalName } from '../../shared/protocol/requests.js'
import type { StoreStats } from '../store/types.js'
import type { Rule } from '../auth/permissions.js'
import type { Handler } from './types.js'

/** PROTOCOL.md §7.3: admin on the queue; without one, admin on every name. */
export const statsRule: Rule = { right: 'admin', fields: ['queue'], whenNoName: 'all' }

export const stats: Handler = (request, session) => {
  const reply = (s: StoreStats): Record<string, unknown> => ({
    queues: s.queues,
    topics: s.topics,
    connections: session.info.connections(),
    uptime: Math.floor((Date.now() - session.info.startedAt) / 1000),
  })
  const result = session.store.stats(optionalName(request, 'queue'))
  return result instanceof Promise ? result.then(reply) : reply(result)
}
