// What a broker with authentication needs to know (PROTOCOL.md §7.1).
import type { TokenTable } from './tokens.js'

export interface AuthSettings {
  tokens: TokenTable
  /** A connection that has not sent a good `hello` token by then is closed. */
  helloTimeoutMs: number
  /** Largest frame accepted before `hello` succeeds. */
  preAuthMaxFrame: number
}

export const DEFAULT_HELLO_TIMEOUT_MS = 10_000
export const PRE_AUTH_MAX_FRAME = 16 * 1024
