// Token -> principal, compared in constant time: both sides are hashed to equal-length sha256
// digests, and every configured token is compared (no early exit), so neither the time taken
// nor an error tells anything about how close a guess came. Tokens never reach a log line.
import { createHash, timingSafeEqual } from 'node:crypto'
import { Principal, type Grant } from './principal.js'

export interface TokenEntry {
  /** sha256 of the token. */
  digest: Buffer
  grant: Grant
  /**
   * The token itself, when it was given as `token` (not `sha256`): the SigV4 secret of the access
   * key id `keyId` (PROTOCOL.md §12 "Auth"), since a signature can only be checked with the secret.
   */
  secret?: string
  /** The access key id of this token on the SQS/SNS face; its grant's name unless said. */
  keyId?: string
}

/** The access key id of `--token T` on the SQS/SNS face (PROTOCOL.md §12 "Auth"). */
export const SINGLE_TOKEN_KEY_ID = 'hubq'

export interface SigningSecret {
  secret: string
  principal: Principal
}

export function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

export class TokenTable {
  private readonly entries: { digest: Buffer; principal: Principal }[]
  /** Access key id -> secret and principal; a name two entries share is no key id at all. */
  private readonly secrets = new Map<string, SigningSecret | null>()

  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries.map((e) => ({ digest: e.digest, principal: new Principal(e.grant) }))
    entries.forEach((e, i) => {
      const keyId = e.keyId ?? e.grant.name
      const principal = (this.entries[i] as { principal: Principal }).principal
      this.secrets.set(keyId, this.secrets.has(keyId) || e.secret === undefined ? null : { secret: e.secret, principal })
    })
  }

  static single(token: string, grant: Grant): TokenTable {
    return new TokenTable([{ digest: digestOf(token), grant, secret: token, keyId: SINGLE_TOKEN_KEY_ID }])
  }

  /**
   * The SigV4 secret of an access key id: a token's name, whose entry gave the token itself.
   * Undefined for an unknown name, a name two entries share, and an entry given only by sha256.
   */
  signingSecret(keyId: string): SigningSecret | undefined {
    return this.secrets.get(keyId) ?? undefined
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
