// §4.1 hello: who the server is and its limits; on a broker with auth, the token check (§7.1).
import { badRequest } from '../../shared/errors.js'
import { optionalString } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: Needs nothing: it is how a connection gets its token. */
export const helloRule: Rule = { open: true }

export const hello: Handler = (request, session) => {
  const name = optionalString(request, 'name', 200)
  if (name !== undefined) session.clientName = name
  if (request.token !== undefined && typeof request.token !== 'string') throw badRequest('token must be a string')
  session.authenticate(request.token)
  return { server: 'hubq', version: session.info.version, protocol: 1, limits: session.limits }
}
