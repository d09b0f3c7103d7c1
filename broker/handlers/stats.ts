// §4.16 stats: counts per queue (or one queue), topics with their bindings, connections, uptime.
import { optionalName } from '../../shared/protocol/requests.js'
import type { TopicStats } from '../../shared/protocol/types.js'
import type { StoreStats } from '../store/types.js'
import type { Rule } from '../auth/permissions.js'
import type { Principal } from '../auth/principal.js'
import type { Handler } from './types.js'

/**
 * PROTOCOL.md §7.3: admin on the queue; without one, admin on every name. The topics shown are
 * narrowed to the token's admin names too (visibleTopics).
 */
export const statsRule: Rule = { right: 'admin', fields: ['queue'], whenNoName: 'all' }

export const stats: Handler = (request, session) => {
  const principal = session.principal
  const reply = (s: StoreStats): Record<string, unknown> => ({
    queues: s.queues,
    topics: principal === undefined ? s.topics : visibleTopics(s.topics, principal),
    connections: session.info.connections(),
    uptime: Math.floor((session.info.now() - session.info.startedAt) / 1000),
  })
  const result = session.store.stats(optionalName(request, 'queue'))
  return result instanceof Promise ? result.then(reply) : reply(result)
}

/**
 * A token sees the topics it has admin on, and in each only the bindings to queues it has admin
 * on: a topic and a binding are the admin's business, and their names and filters may tell of
 * queues the token has no right on.
 */
export function visibleTopics(topics: TopicStats[], principal: Principal): TopicStats[] {
  if (principal.canAll('admin')) return topics
  const out: TopicStats[] = []
  for (const t of topics) {
    if (!principal.can('admin', t.topic)) continue
    out.push({ topic: t.topic, bindings: t.bindings.filter((b) => principal.can('admin', b.queue)) })
  }
  return out
}
