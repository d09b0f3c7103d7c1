// §4.3 declare: create a queue, or change the settings of one that exists.
import { badRequest } from '../../shared/errors.js'
import { boolean, integer, name, number, optionalName } from '../../shared/protocol/requests.js'
import type { DeclareInput } from '../store/types.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: admin on the queue, and on its dead-letter queue when one is given. */
export const declareRule: Rule = { right: 'admin', fields: ['queue', 'deadLetter'] }

export const declare: Handler = (request, session) => {
  const queue = name(request, 'queue')
  const input: DeclareInput = { queue }
  if (request.visibilityTimeout !== undefined) input.visibilityTimeout = number(request, 'visibilityTimeout', 0, 43_200)
  if (request.maxReceives !== undefined) input.maxReceives = integer(request, 'maxReceives', 0, 1000)
  if (request.delay !== undefined) input.delay = number(request, 'delay', 0, 365 * 86_400)
  if (request.retention !== undefined) input.retention = number(request, 'retention', 1, 1_209_600)
  if (request.fifo !== undefined) input.fifo = boolean(request, 'fifo', false)
  const deadLetter = optionalName(request, 'deadLetter')
  if (deadLetter !== undefined) {
    if (deadLetter === queue) throw badRequest('deadLetter must name another queue')
    input.deadLetter = deadLetter
  }
  const result = session.store.declare(input)
  return result instanceof Promise
    ? result.then((r) => ({ queue, created: r.created }))
    : { queue, created: result.created }
}
