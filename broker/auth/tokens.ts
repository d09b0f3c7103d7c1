// Token -> principal, compared in constant time: both sides are hashed to equal-length sha256
// digests, and every configured token is compared (no early exit), so neither the time taken
// nor an error tells anything about how close a guess came. Tokens never reach a log line.
import { createHash, timingSafeEqual } from 'node:crypto'
import { Principal, type Grant } from './principal.js'

export interface TokenEntry {
  /** sha256 of the token. */
  digest: Buffer
  grant: Grant
}

export function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

export class TokenTable {
  private readonly entries: { digest: Buffer; principal: Principal }[]

  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries.map((e) => ({ digest: e.digest, principal: new Principal(e.grant) }))
  }

  static single(token: string, grant: Grant): TokenTable {
    return new TokenTable([{ digest: digestOf(token), grant }])
  }

  get size(): number {
    return this.entries.length
  }

  authenticate(token: string): Principal | undefined {
    const digest = digestOf(token)
    let found: Principal | undefined
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.principal
    }
    return found
  }
}
