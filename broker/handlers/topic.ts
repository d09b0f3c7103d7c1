// §4.11 topic: declare a topic.
import { name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'

export const topic: Handler = (request, session) => {
  const topicName = name(request, 'topic')
  const result = session.store.topic(topicName)
  return result instanceof Promise
    ? result.then((r) => ({ topic: topicName, created: r.created }))
    : { topic: topicName, created: result.created }
}
