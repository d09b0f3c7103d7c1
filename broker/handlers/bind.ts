// §4.12 bind / unbind: route a topic's messages to a queue, optionally filtered by attrs.
import { filter, name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: admin on both the topic and the queue. */
export const bindRule: Rule = { right: 'admin', fields: ['topic', 'queue'] }

export const bind: Handler = (request, session) =>
  session.store.bind(name(request, 'topic'), name(request, 'queue'), filter(request))

/** PROTOCOL.md §7.3: admin on both the topic and the queue. */
export const unbindRule: Rule = { right: 'admin', fields: ['topic', 'queue'] }

export const unbind: Handler = (request, session) =>
  session.store.unbind(name(request, 'topic'), name(request, 'queue'))
