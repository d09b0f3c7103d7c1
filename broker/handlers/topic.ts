// §4.11 topic: declare a topic.
import { name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: admin on the topic. */
export const topicRule: Rule = { right: 'admin', fields: ['topic'] }

export const topic: Handler = (request, session) => {
  const topicName = name(request, 'topic')
  const result = session.store.topic(topicName)
  return result instanceof Promise
    ? result.then((r) => ({ topic: topicName, created: r.created }))
    : { topic: topicName, created: result.created }
}
