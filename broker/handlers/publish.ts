// §4.4 publish: one message or a `messages` batch, to a queue or a topic; confirmed once durable.
import { badRequest } from '../../shared/errors.js'
import { checkBodySize, name, publishInputs } from '../../shared/protocol/requests.js'
import type { PublishInput } from '../../shared/protocol/types.js'
import type { PublishTarget } from '../store/types.js'
import { Later, MidFields, type Handler, type ReplyFields, type SessionContext } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: publish on the queue, or on the topic (not on the queues bound to it: binding is the admin's decision). */
export const publishRule: Rule = { right: 'publish', fields: ['queue', 'topic'] }

export const publish: Handler = (request, session) => {
  const hasQueue = request.queue !== undefined
  if (hasQueue === (request.topic !== undefined)) throw badRequest('publish needs exactly one of queue or topic')
  const target: PublishTarget = hasQueue ? { queue: name(request, 'queue') } : { topic: name(request, 'topic') }
  const { inputs, batch } = publishInputs(request, session.limits)
  return publishTo(session, target, inputs, batch)
}

/**
 * A publish the decoder read by the fast path (shared/protocol/fast-publish.ts): a valid queue
 * name and an ASCII string body, so only the size is left to check. Same store call and reply.
 */
export function publishFast(queue: string, bodyJson: string, session: SessionContext): ReplyFields | Later<string[]> {
  checkBodySize(bodyJson, session.limits)
  return publishTo(session, { queue }, [{ bodyJson }], false)
}

function publishTo(session: SessionContext, target: PublishTarget, inputs: PublishInput[], batch: boolean): ReplyFields | Later<string[]> {
  // Publish-to-confirm latency (metrics on): one clock read here and one at the confirm.
  const confirmed = session.info.publishConfirmed
  const started = confirmed ? performance.now() : 0
  const result = session.store.publish(target, inputs)
  // Without metrics, a single publish (the common case) needs no closure of its own.
  const reply = !confirmed && !batch ? midReply : (mids: string[]): ReplyFields => {
    if (confirmed) confirmed((performance.now() - started) / 1000)
    return batch ? { mids } : midReply(mids)
  }
  return result instanceof Promise ? new Later(result, reply) : reply(result)
}

// Message ids need no escaping (deliveries splice them in the same way).
function midReply(mids: string[]): MidFields {
  return new MidFields(mids[0] as string)
}
