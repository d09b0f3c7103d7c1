// §4.7 unsubscribe: stop pushing; what was delivered stays in flight until acked or released.
import { notFound } from '../../shared/errors.js'
import { string } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: Needs nothing: it touches only this connection's own subscriptions. */
export const unsubscribeRule: Rule = { open: true }

export const unsubscribe: Handler = (request, session) => {
  const id = string(request, 'sub', 100)
  const sub = session.subscriptions.get(id)
  if (!sub) throw notFound(`subscription ${id} does not exist on this connection`)
  sub.close()
  session.subscriptions.delete(id)
}
