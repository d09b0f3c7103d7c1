// From `--auth FILE` / `--token T` to the broker's AuthSettings (a bad file stops the start).
import { loadAuthFile } from './file.js'
import { ALL_POWERFUL } from './principal.js'
import { PRE_AUTH_MAX_FRAME, type AuthSettings } from './settings.js'
import { TokenTable } from './tokens.js'

export function authSettings(
  auth: { file: string } | { token: string } | undefined, helloTimeoutMs: number,
): AuthSettings | undefined {
  if (auth === undefined) return undefined
  const tokens = 'file' in auth ? loadAuthFile(auth.file) : TokenTable.single(auth.token, ALL_POWERFUL)
  return { tokens, helloTimeoutMs, preAuthMaxFrame: PRE_AUTH_MAX_FRAME }
}

/** One log line's worth: how many tokens, never which. */
export function describeAuth(auth: { file: string } | { token: string } | undefined, settings: AuthSettings | undefined): string {
  if (!auth || !settings) return 'auth off: every connection may do everything'
  return 'file' in auth ? `auth on: ${settings.tokens.size} token(s) from ${auth.file}` : 'auth on: one token (--token)'
}
