// What a handler sees and returns (one file per op; the table in index.ts routes them).
import type { Logger } from '../../shared/logger.js'
import { piece, type FrameWriter } from '../../shared/protocol/frame-writer.js'
import type { Limits } from '../../shared/protocol/requests.js'
import type { Delivery } from '../../shared/protocol/types.js'
import type { MessageStore, Owner, Subscription } from '../store/types.js'
import type { Rule } from '../auth/permissions.js'
import type { Principal } from '../auth/principal.js'

export type Request = Record<string, unknown>

/** Reply fields already serialised as a JSON fragment (`"messages":[...]`), spliced in as is. */
export class RawFields {
  constructor(private readonly text: string) {}

  /** The fragment's JSON text. */
  get json(): string {
    return this.text
  }

  /** Writes the fragment's bytes into the frame under way (the outbox's success reply). */
  writeTo(out: FrameWriter): void {
    out.text(this.text)
  }
}

const MID_OPEN = piece('"mid":"')
const MID_CLOSE = piece('"')

/**
 * A publish's `"mid":"..."`, written into the reply's bytes piece by piece: the joined string
 * would be two cons strings and, once written, a flat copy of them, for every publish.
 */
export class MidFields extends RawFields {
  constructor(readonly mid: string) {
    super('')
  }

  override get json(): string {
    return '"mid":"' + this.mid + '"'
  }

  override writeTo(out: FrameWriter): void {
    out.bytes(MID_OPEN)
    out.text(this.mid)
    out.bytes(MID_CLOSE)
  }
}

export type ReplyFields = Record<string, unknown> | RawFields | void

/**
 * A reply that waits on one store promise: the session maps the settled value itself, so a
 * publish or an ack costs no promise (and no microtask) of its own between the store and the
 * reply. It is also a thenable, for callers that simply await a handler.
 */
export class Later<T> implements PromiseLike<ReplyFields> {
  constructor(
    readonly promise: Promise<T>,
    readonly reply: (value: T) => ReplyFields,
  ) {}

  then<A = ReplyFields, B = never>(
    onFulfilled?: ((fields: ReplyFields) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.promise.then(this.reply).then(onFulfilled, onRejected)
  }
}

export interface BrokerInfo {
  version: string
  startedAt: number
  /** The broker's clock: milliseconds since the epoch. */
  now(): number
  connections(): number
  /** Observes a publish's request-to-confirm seconds; set only when metrics are on. */
  publishConfirmed?: (seconds: number) => void
}

export interface SessionContext {
  readonly store: MessageStore
  readonly limits: Limits
  readonly info: BrokerInfo
  readonly log: Logger
  readonly owner: Owner
  /** Aborted when the connection closes or the broker starts stopping (long polls end). */
  readonly signal: AbortSignal
  clientName: string | undefined
  /** The token's rights once `hello` accepted it; undefined without auth (then everything is allowed). */
  readonly principal?: Principal | undefined
  readonly subscriptions: Map<string, Subscription>
  /** Keeps a new subscription in `subscriptions`; it starts paused when the connection takes no pushes now. */
  subscribed(sub: Subscription): void
  /** hello's token check (PROTOCOL.md §7.1): throws `unauthorized`; a no-op without auth. */
  authenticate(token: string | undefined): void
  /** Sends an unsolicited frame (a delivery), ordered after every reply already due. */
  push(sub: string, delivery: Delivery): void
}

// A Later's value type is the handler's own business: the session only hands it back to it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Later is invariant in T: only any admits every handler's
export type Handler = (request: Request, session: SessionContext) => ReplyFields | Promise<ReplyFields> | Later<any>

/** An op as the routing table holds it: its handler and the right it needs (PROTOCOL.md §7.3). */
export interface Route {
  readonly handler: Handler
  readonly rule: Rule
}
