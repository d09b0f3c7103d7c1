// §4.12 bind / unbind: route a topic's messages to a queue, optionally filtered by attrs.
import { filter, name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'

export const bind: Handler = (request, session) =>
  session.store.bind(name(request, 'topic'), name(request, 'queue'), filter(request))

export const unbind: Handler = (request, session) =>
  session.store.unbind(name(request, 'topic'), name(request, 'queue'))
