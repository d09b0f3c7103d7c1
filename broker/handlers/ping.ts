// §4.2 ping: an empty ok reply.
import type { Handler } from './types.js'

export const ping: Handler = () => undefined
