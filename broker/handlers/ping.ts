// §4.2 ping: an empty ok reply.
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: Needs nothing. */
export const pingRule: Rule = { open: true }

export const ping: Handler = () => undefined
