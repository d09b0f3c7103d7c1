// Replies leave in request order even when their ops finish out of order (PROTOCOL.md §2
// "Envelope"): each request that waits on the store holds a place, and what finished behind it
// waits there too, until the places before it are filled.
import type { RequestId } from '../../shared/protocol/requests.js'
import { toHubqError } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { RawFields, type ReplyFields } from '../handlers/types.js'
import type { Outbox } from './outbox.js'

/** A reply's place in request order, filled when its request settles (a queued push's at once). */
interface Slot {
  done: boolean
  id: RequestId
  /** Fields written when the slot's turn comes: only immutable ones wait as they are. */
  fields: RawFields | undefined
  /** The whole frame's JSON, when it was made as text (errors, pushes, object fields). */
  json: string | undefined
}

export class ReplyOrder {
  private readonly pending: Slot[] = []
  /** Places held for requests still running. */
  unresolved = 0
  /** Told once every request read so far has been answered (or the connection closed). */
  private readonly waiters: (() => void)[] = []

  constructor(
    private readonly out: Outbox,
    private readonly log: Logger,
    /** Called each time the last running request settles, after its reply (and those behind it) went out. */
    private readonly onSettled: () => void,
  ) {}

  /** Nothing waits for its turn: a reply or push now goes straight out. */
  get empty(): boolean {
    return this.pending.length === 0
  }

  /** Replies (and pushes) waiting for their turn. */
  get waiting(): number {
    return this.pending.length
  }

  /** A reply ready now: written at once when nothing is ahead of it, queued behind otherwise. */
  answer(id: RequestId, err: unknown, fields?: ReplyFields): void {
    if (err === undefined && this.pending.length === 0 && (fields === undefined || fields instanceof RawFields)) {
      return this.out.writeReply(id, fields as RawFields | undefined)
    }
    const json = err === undefined ? encodeReply(id, fields) : this.encodeError(id, err)
    if (this.pending.length === 0) this.out.write(json)
    else this.pending.push({ done: true, id, fields: undefined, json })
  }

  /** A push made while replies are ahead of it: it waits behind them, as text. */
  queue(json: string): void {
    this.pending.push({ done: true, id: undefined, fields: undefined, json })
  }

  /** Holds a place for the reply in request order; it is filled when the promise settles. */
  await<T>(id: RequestId, promise: Promise<T>, reply: ((value: T) => ReplyFields) | undefined): void {
    const slot: Slot = { done: false, id, fields: undefined, json: undefined }
    this.pending.push(slot)
    this.unresolved++
    promise.then(
      (value) => this.settled(slot, value, reply),
      (err: unknown) => {
        slot.json = this.encodeError(id, err)
        this.fill(slot)
      },
    )
  }

  /** Runs `fn` once every request read so far has been answered (at once if none waits). */
  whenAnswered(fn: () => void): void {
    if (this.pending.length === 0) fn()
    else this.waiters.push(fn)
  }

  /** The connection closed: nobody waits for answers any more. */
  releaseWaiters(): void {
    for (const waiter of this.waiters.splice(0)) waiter()
  }

  private settled<T>(slot: Slot, value: T, reply: ((value: T) => ReplyFields) | undefined): void {
    let fields: ReplyFields
    if (reply === undefined) {
      fields = value as ReplyFields
    } else {
      try {
        fields = reply(value)
      } catch (err) {
        slot.json = this.encodeError(slot.id, err)
        return this.fill(slot)
      }
    }
    // An object is serialised now, as it is now; a reply waiting behind others might see it change.
    if (fields === undefined || fields instanceof RawFields) slot.fields = fields as RawFields | undefined
    else slot.json = encodeReply(slot.id, fields)
    this.fill(slot)
  }

  private fill(slot: Slot): void {
    slot.done = true
    this.unresolved--
    const pending = this.pending
    while (pending.length > 0 && (pending[0] as Slot).done) {
      const head = pending.shift() as Slot
      if (head.json !== undefined) this.out.write(head.json)
      else this.out.writeReply(head.id, head.fields)
    }
    if (this.unresolved === 0) this.onSettled()
    if (this.pending.length === 0 && this.waiters.length > 0) this.releaseWaiters()
  }

  private encodeError(id: RequestId, err: unknown): string {
    const error = toHubqError(err)
    if (error.code === 'internal') this.log.error({ err: error.cause ?? error }, 'internal error')
    else this.log.debug({ code: error.code, message: error.message }, 'request failed')
    return JSON.stringify({ id, ok: false, error: error.toWire() })
  }
}

function encodeReply(id: RequestId, fields: ReplyFields): string {
  const head = id === undefined ? '{"ok":true' : '{"id":' + JSON.stringify(id) + ',"ok":true'
  if (fields === undefined) return head + '}'
  if (fields instanceof RawFields) return head + ',' + fields.json + '}'
  const rest = JSON.stringify(fields)
  return rest.length > 2 ? head + ',' + rest.slice(1) : head + '}'
}
