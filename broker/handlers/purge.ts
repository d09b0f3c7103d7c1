// §4.13 purge / drop: empty a queue, or remove it with everything in it.
import { name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'

export const purge: Handler = (request, session) => {
  const result = session.store.purge(name(request, 'queue'))
  return result instanceof Promise ? result.then((purged) => ({ purged })) : { purged: result }
}

export const drop: Handler = (request, session) => session.store.drop(name(request, 'queue'))
