// §4.6 subscribe: push deliveries while fewer than `prefetch` of them are unacked.
import { integer, name } from '../../shared/protocol/requests.js'
import type { Subscription } from '../store/types.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: consume on the queue. */
export const subscribeRule: Rule = { right: 'consume', fields: ['queue'] }

export const subscribe: Handler = (request, session) => {
  const queue = name(request, 'queue')
  const prefetch = integer(request, 'prefetch', 1, 10_000, 16)
  let id = ''
  const started = (sub: Subscription): { sub: string } => {
    id = sub.id
    session.subscribed(sub)
    return { sub: sub.id }
  }
  const result = session.store.subscribe(queue, session.owner, prefetch, (delivery) => session.push(id, delivery))
  return result instanceof Promise ? result.then(started) : started(result)
}
