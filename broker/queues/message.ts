// One message in one queue, as the engine holds it: its state, its times, its lease while in
// flight and its rare fields; and the subscribers and long-poll waiters deliveries go to.
import type { Attrs } from '../../shared/protocol/types.js'
import type { Owner } from '../../shared/protocol/store-types.js'
import type { Queue } from './queue.js'

export const enum State {
  Ready,
  Inflight,
  Delayed,
  Gone,
}

/** What only a message in flight needs: allocated when it is delivered, dropped when it settles. */
interface Lease {
  receipt: string
  owner: Owner
  sub: LocalSubscription | undefined
  /** The receive count of this delivery is in the journal (see QueueEngine.logReceives). */
  logged: boolean
}

/** Fields most messages never have (fifo group, attributes, dedup id, dead-letter origin, copy). */
interface Extra {
  attrs: Attrs | undefined
  group: string | undefined
  dedupId: string | undefined
  origin: string | undefined
  copy: string | undefined
}

/**
 * A held message's key in its queue: its mid, or `mid/copy` for a copy made by a dead-letter move
 * or a redrive. A mid alone is not unique in a queue once fan-out and dead letters meet (two
 * copies of one publish dead-lettered into one queue); the log names held messages by key.
 */
export function messageKey(mid: string, copy: string | undefined): string {
  return copy === undefined ? mid : `${mid}/${copy}`
}

/** The mid and copy of a key (a mid has no '/': message-ids.ts). */
export function splitKey(key: string): { mid: string; copy: string | undefined } {
  const slash = key.indexOf('/')
  return slash < 0 ? { mid: key, copy: undefined } : { mid: key.slice(0, slash), copy: key.slice(slash + 1) }
}

/**
 * Times are kept as milliseconds after this instant (ten days before the process started): small
 * integers, which V8 keeps inside the object, where an epoch millisecond count (above 2^31) would
 * take a 16-byte box of its own per field per message. Out of that range (a message over ten days
 * old, a process up for more than two weeks) V8 switches the fields to boxed numbers: more memory,
 * the same values (the round trip through the offset is exact for any millisecond value).
 */
const TIME_BASE = Math.floor(Date.now()) - 10 * 24 * 3600 * 1000

/**
 * One message in one queue. The store may hold millions, so it keeps thirteen fields and no
 * map entry anywhere: its queue finds it through the list threaded through `older`/`newer`, the
 * log through `seq` (the log keeps its own index: nothing of the log is stored here, and nothing
 * changes the seq). The in-flight lease and the rare fields live in objects of their own, made
 * only when needed; the accessors below read them as if they were fields.
 */
export class StoredMessage {
  private publishedOffset: number
  private untilOffset: number
  /** Bumped on every state change, so stale timer entries are ignored. */
  generation = 0
  state: State = State.Gone
  lease: Lease | undefined = undefined
  extra: Extra | undefined
  /** Neighbours in the queue's list of held messages (see Queue.hold). */
  older: StoredMessage | undefined = undefined
  newer: StoredMessage | undefined = undefined

  constructor(
    readonly mid: string,
    /**
     * The log sequence number of the publish record that holds its data (MessageRecord.seq): the
     * log finds the data by it, wherever compaction has moved it. 0 when no log keeps it. A small
     * integer, kept inside the object; past 2^31 publishes V8 boxes it (more memory, the same value).
     */
    readonly seq: number,
    public queue: Queue,
    /** Undefined while the body is kept on disk only, and its attrs with it (spill, bodies.ts). */
    public bodyJson: string | undefined,
    publishedAt: number,
    public receives: number,
    until: number,
    attrs: Attrs | undefined,
    group: string | undefined,
    dedupId: string | undefined,
    origin: string | undefined,
    copy?: string,
  ) {
    this.publishedOffset = publishedAt - TIME_BASE
    this.untilOffset = until - TIME_BASE
    this.extra = attrs === undefined && group === undefined && dedupId === undefined && origin === undefined && copy === undefined
      ? undefined
      : { attrs, group, dedupId, origin, copy }
  }

  /** How the log names this message in its queue (see messageKey). */
  get key(): string {
    const copy = this.extra?.copy
    return copy === undefined ? this.mid : `${this.mid}/${copy}`
  }

  set copy(copy: string | undefined) {
    if (this.extra) this.extra.copy = copy
    else if (copy !== undefined) this.extra = { attrs: undefined, group: undefined, dedupId: undefined, origin: undefined, copy }
  }

  get publishedAt(): number {
    return this.publishedOffset + TIME_BASE
  }

  /** Deadline of the current in-flight or delayed period. */
  get until(): number {
    return this.untilOffset + TIME_BASE
  }

  set until(until: number) {
    this.untilOffset = until - TIME_BASE
  }

  /** Undefined while the body is kept on disk only: the attrs are kept there with it (bodies.ts). */
  get attrs(): Attrs | undefined {
    return this.extra?.attrs
  }

  set attrs(attrs: Attrs | undefined) {
    const extra = this.extra
    if (extra) {
      extra.attrs = attrs
      if (attrs === undefined && extra.group === undefined && extra.dedupId === undefined && extra.origin === undefined && extra.copy === undefined) {
        this.extra = undefined
      }
    } else if (attrs !== undefined) {
      this.extra = { attrs, group: undefined, dedupId: undefined, origin: undefined, copy: undefined }
    }
  }

  get group(): string | undefined {
    return this.extra?.group
  }

  get dedupId(): string | undefined {
    return this.extra?.dedupId
  }

  get origin(): string | undefined {
    return this.extra?.origin
  }

  set origin(origin: string | undefined) {
    if (this.extra) this.extra.origin = origin
    else if (origin !== undefined) this.extra = { attrs: undefined, group: undefined, dedupId: undefined, origin, copy: undefined }
  }

  get receipt(): string | undefined {
    return this.lease?.receipt
  }

  get owner(): Owner | undefined {
    return this.lease?.owner
  }

  get sub(): LocalSubscription | undefined {
    return this.lease?.sub
  }
}

export interface LocalSubscription {
  id: string
  queue: Queue
  owner: Owner
  prefetch: number
  unacked: number
  closed: boolean
  /** The connection cannot take more bytes now: dispatch passes this subscription by. */
  paused: boolean
  deliver: (message: StoredMessage) => void
}

export interface Waiter {
  max: number
  visibilityTimeout: number | undefined
  owner: Owner
  resolve: (messages: StoredMessage[]) => void
}
