// §4.1 hello: who the server is and its limits. Tokens are checked once auth is configured.
import { optionalString } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'

export const hello: Handler = (request, session) => {
  const name = optionalString(request, 'name', 200)
  if (name !== undefined) session.clientName = name
  return { server: 'hubq', version: session.info.version, protocol: 1, limits: session.limits }
}
