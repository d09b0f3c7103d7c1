// §4.15 redrive: move a dead-letter queue's messages back where they died, receive counts reset.
import { name } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: admin on the dead-letter queue. */
export const redriveRule: Rule = { right: 'admin', fields: ['queue'] }

export const redrive: Handler = (request, session) => {
  const result = session.store.redrive(name(request, 'queue'))
  return result instanceof Promise ? result.then((moved) => ({ moved })) : { moved: result }
}
