// The life of a message in the local store: placed ready or delayed, taken and delivered, in
// flight under a visibility timer, then acked, released, moved to its dead-letter queue or
// expired. LocalStore (store.ts) builds the protocol's operations on these steps; every change
// goes to the Journal first (PROTOCOL.md §6 "Semantics").
import { notFound } from '../../../shared/errors.js'
import { systemClock, type Clock } from '../../../shared/clock.js'
import type { DeclareInput, Owner } from '../types.js'
import { HELD, type Journal, type JournalRecord, type LogHandle, type PublishRecord } from '../journal.js'
import { Queue, State, StoredMessage, holdsGroup, splitKey, type LocalSubscription } from './queue.js'
import { TimerHeap } from './timer-heap.js'
import type { Undo } from './undo.js'
import { nextReceipt } from './message-ids.js'
import { toRecord } from './replay.js'
import { BODIES_IN_MEMORY, unspill } from './bodies.js'
import { copyKey, expireRecord } from './records.js'
import { backlogIndex, mayJoinBacklog, type BacklogSlot } from './backlog.js'

export const DEDUP_WINDOW_MS = 5 * 60 * 1000

export interface HeldState {
  message: StoredMessage
  state: State
}
const SWEEP_MS = 1000
/**
 * A delivery's receive count is written this long after it, if the message is still out by then
 * (PROTOCOL.md §9): most deliveries are acked sooner, and their count never needs writing.
 */
export const RECEIVE_LOG_MS = 200

export interface LocalStoreOptions {
  journal: Journal
  clock?: Clock
  /** Queues at most (`--max-queues`); a client creating one more gets `limit` (PROTOCOL.md §3). */
  maxQueues?: number
  /**
   * Ready messages per queue held in memory, bodies and all (default BODIES_IN_MEMORY): on a
   * standard queue, a publish behind them joins the queue's backlog, kept in the log only and
   * read back as the queue runs low (backlog.ts).
   */
  bodiesInMemory?: number
}

/** The copy of `record` for the queue at `index` of its queues, not yet held by it. */
export function messageOf(queue: Queue, record: PublishRecord, index: number): StoredMessage {
  const visibleAt = record.visibleAts !== undefined
    ? (record.visibleAts[index] as number)
    : record.queueDelay ? record.publishedAt + queue.config.delay * 1000 : record.visibleAt
  // Only a copy (a rewritten dead-letter move or redrive) has a '/' in its key.
  const { mid, copy } = record.mid.length > 36 ? splitKey(record.mid) : { mid: record.mid, copy: undefined }
  return new StoredMessage(
    mid, queue, record.bodyJson, record.publishedAt, record.receives ?? 0, visibleAt,
    record.attrs, record.group, record.dedupId, record.origin, copy,
  )
}

/** The most messages one read-ahead from a backlog makes objects of. */
const READ_AHEAD_MAX = 2048

/**
 * The state every operation shares (queues, receipts, timers) and the steps above. LocalStore
 * extends it rather than holding one, so each step on the per-message path stays a method call
 * on the same object.
 */
export abstract class MessageLifecycle {
  readonly queues = new Map<string, Queue>()
  protected readonly receipts = new Map<string, StoredMessage>()
  protected readonly journal: Journal
  protected readonly clock: Clock
  protected readonly timers: TimerHeap<StoredMessage>
  private sweepHandle: unknown
  /** Deliveries whose receive count is not written yet, oldest first. */
  private unlogged: StoredMessage[] = []
  private unloggedHandle: unknown
  /** A standard queue with this many ready objects sends new publishes to its backlog. */
  protected readonly highWater: number
  /** Below this many ready objects, a queue reads ahead from its backlog. */
  private readonly lowWater: number
  private readonly readAheadBatch: number

  constructor(options: LocalStoreOptions) {
    this.journal = options.journal
    this.clock = options.clock ?? systemClock
    this.highWater = options.bodiesInMemory ?? BODIES_IN_MEMORY
    this.lowWater = Math.max(1, Math.floor(this.highWater / 2))
    this.readAheadBatch = Math.min(READ_AHEAD_MAX, Math.max(1, this.highWater - this.lowWater))
    this.timers = new TimerHeap(
      this.clock,
      (message, generation) => this.onTimer(message, generation),
      (message, generation) => message.generation === generation,
    )
  }

  /** LocalStore.declareNow: queueOrDeclare makes a missing queue through it. */
  abstract declareNow(input: DeclareInput, enforceLimit?: boolean, undo?: Undo): boolean

  /** Writes the receive counts still due and stops every timer: the store is closing. */
  protected stopTimers(): void {
    this.logReceives()
    this.timers.stop()
    if (this.sweepHandle !== undefined) this.clock.clearTimeout(this.sweepHandle)
    this.sweepHandle = undefined
  }

  protected existing(name: string): Queue {
    const queue = this.queues.get(name)
    if (!queue) throw notFound(`queue ${name} does not exist`)
    return queue
  }

  /** `undo`: told how to take the queue back when the op that made it is refused. */
  protected queueOrDeclare(name: string, enforceLimit = true, undo?: Undo): Queue {
    const queue = this.queues.get(name)
    if (queue) return queue
    this.declareNow({ queue: name }, enforceLimit, undo)
    return this.queues.get(name) as Queue
  }

  /** The copy of `record` for the queue at `index` of its queues, held by that queue. */
  protected materialize(queue: Queue, record: PublishRecord, index = 0): StoredMessage {
    const message = messageOf(queue, record, index)
    queue.hold(message)
    return message
  }

  /** Copies made by a refused redrive leave their queues (they are not in flight). */
  protected withdrawCopies(copies: StoredMessage[]): void {
    for (const copy of copies) copy.queue.published++
    this.withdraw(copies)
  }

  /**
   * Marks the copies of a new publish record that join their queue's backlog (before the record
   * is appended): those the log can read back, of a standard queue as deep as the high-water mark
   * in ready objects, or whose backlog is not empty (it stays in publish order).
   */
  protected markBacklog(record: PublishRecord, queues: readonly Queue[]): void {
    if (this.journal.scan === undefined) return
    let marks: boolean[] | undefined
    for (let index = 0; index < queues.length; index++) {
      const queue = queues[index] as Queue
      if (queue.config.fifo || (queue.backlog.size === 0 && queue.readyLength < this.highWater)) continue
      if (!mayJoinBacklog(record, index)) continue
      marks ??= new Array<boolean>(queues.length).fill(false)
      marks[index] = true
    }
    if (marks) record.backlog = marks
  }

  /**
   * Puts freshly published messages into their queues and hands them to waiting consumers; a
   * copy that joins its queue's backlog becomes a slot in `slots` instead.
   */
  protected placeNew(records: PublishRecord[], now: number, slots: BacklogSlot[]): StoredMessage[] {
    const placed: StoredMessage[] = []
    let only: Queue | undefined
    let touched: Set<Queue> | undefined
    for (const record of records) {
      const held: (StoredMessage | BacklogSlot)[] = []
      record[HELD] = held
      for (let index = 0; index < record.queues.length; index++) {
        const queue = this.queueOrDeclare(record.queues[index] as string, false)
        if (record.backlog?.[index] === true) {
          const slot = queue.backlog.append(record.publishedAt)
          held.push(slot)
          slots.push(slot)
          queue.published++
          continue
        }
        const message = this.materialize(queue, record, index)
        held.push(message)
        this.place(message, now)
        placed.push(message)
        queue.published++
        if (only === undefined) only = queue
        else if (queue !== only) (touched ??= new Set([only])).add(queue)
      }
    }
    if (touched) for (const queue of touched) this.dispatch(queue)
    else if (only) this.dispatch(only)
    return placed
  }

  /**
   * The log refused these messages (their publisher got `unavailable`): they leave their queues,
   * except one already out with a consumer, which is settled as usual (at-least-once).
   */
  protected withdraw(messages: StoredMessage[]): void {
    const reorder = new Set<Queue>()
    for (const message of messages) {
      const queue = message.queue
      if (message.state === State.Ready) reorder.add(queue)
      else if (message.state === State.Delayed) {
        queue.delayed--
        queue.settleGroup(message)
      } else continue
      queue.published--
      message.state = State.Gone
      message.generation++
      queue.letGo(message)
    }
    for (const queue of reorder) {
      for (const message of queue.drainReady()) {
        if (message.state !== State.Gone) queue.pushReady(message, false)
      }
    }
  }

  /** The log refused these backlog messages: they never join (their publisher got `unavailable`). */
  protected withdrawSlots(slots: BacklogSlot[]): void {
    for (const slot of slots) {
      if (slot.dead || slot.where !== undefined) continue
      if (slot.backlog.refuse(slot)) slot.backlog.owner.published--
    }
  }

  /** Puts a new or recovered message where it belongs: delayed until `until`, or ready. */
  protected place(message: StoredMessage, now: number): void {
    if (message.until > now) {
      message.state = State.Delayed
      message.generation++
      message.queue.delayed++
      if (holdsGroup(message)) message.queue.holdGroup(message)
      this.timers.add(message.until, message, message.generation)
    } else {
      message.queue.pushReady(message, false)
    }
  }

  /**
   * Reads the next messages of the queue's backlog back from the log, in order, and makes them
   * ready objects behind the others; the `advance` record goes first, so that what is written
   * about them next finds them after a restart. Returns how many; none when the log cannot be
   * read or written now (the backlog stays as it was).
   */
  protected readAhead(queue: Queue): number {
    const backlog = queue.backlog
    const journal = this.journal
    const start = backlog.start
    if (backlog.count === 0 || start === undefined || journal.scan === undefined || journal.position === undefined) return 0
    const want = Math.min(this.readAheadBatch, backlog.count)
    const found: StoredMessage[] = []
    let end: LogHandle
    try {
      end = journal.scan(start, undefined, (record, where, at) => {
        const index = backlogIndex(record, queue.name)
        if (index < 0) return true
        const message = messageOf(queue, record, index)
        message.where = where
        message.at = at
        return found.push(message) < want
      })
      if (found.length === 0) return 0
      journal.append({ type: 'advance', queue: queue.name, to: journal.position(end) })
    } catch {
      // The log reports its own failure; the backlog is read again on the next take (the
      // messages made so far are not held by anything).
      return 0
    }
    backlog.start = end
    for (const message of found) {
      queue.hold(message)
      backlog.taken(message.where)
      queue.pushReady(message, false)
    }
    backlog.oldestAt = (found[found.length - 1] as StoredMessage).publishedAt
    return found.length
  }

  /** Tops the queue's ready objects up from its backlog once they run low. */
  protected refill(queue: Queue): void {
    if (queue.backlog.count > 0 && queue.readyLength < this.lowWater) this.readAhead(queue)
  }

  /** The next ready message, skipping (and deleting) those past their retention. */
  protected take(queue: Queue): StoredMessage | undefined {
    const cutoff = this.clock.now() - queue.config.retention * 1000
    for (;;) {
      this.refill(queue)
      const message = queue.takeReady()
      if (!message) return undefined
      if (message.publishedAt <= cutoff) {
        this.expire(message)
        queue.settleGroup(message)
        continue
      }
      if (message.bodyJson === undefined && !unspill(message, this.journal)) return undefined
      // Received maxReceives times already (its last delivery was cut short by a restart): one
      // more would exceed the limit, so it goes where a release would have sent it.
      if (this.pastMaxReceives(message)) {
        queue.settleGroup(message)
        this.moveToDeadLetter(message, true)
        continue
      }
      return message
    }
  }

  protected markInflight(
    message: StoredMessage, visibilityTimeout: number | undefined, owner: Owner, sub: LocalSubscription | undefined,
  ): void {
    const queue = message.queue
    if (++message.receives > 1) queue.redelivered++
    message.state = State.Inflight
    const receipt = nextReceipt()
    message.lease = { receipt, owner, sub, logged: false }
    message.until = this.clock.now() + (visibilityTimeout ?? queue.config.visibilityTimeout) * 1000
    message.generation++
    queue.inflight++
    this.receipts.set(receipt, message)
    this.timers.add(message.until, message, message.generation)
    // With maxReceives, the count decides a dead-letter move: it is written before the delivery
    // leaves (the caller waits for the commit, see deliveryDurable), so no crash can undo it.
    if (queue.config.maxReceives > 0) {
      this.logReceive(message)
      return
    }
    if (this.unlogged.push(message) === 1) {
      this.unloggedHandle = this.clock.setTimeout(() => this.logReceives(), RECEIVE_LOG_MS)
    }
  }

  /** Writes the receive counts of deliveries still out; an acked one needs none. */
  private logReceives(): void {
    if (this.unloggedHandle !== undefined) this.clock.clearTimeout(this.unloggedHandle)
    this.unloggedHandle = undefined
    const list = this.unlogged
    this.unlogged = []
    for (const message of list) this.logReceive(message)
  }

  private logReceive(message: StoredMessage): void {
    const lease = message.lease
    if (!lease || lease.logged) return
    lease.logged = true
    this.tryAppend({ type: 'receive', queue: message.queue.name, mid: message.key, receives: message.receives })
  }

  /**
   * Resolves once the receive counts of these deliveries are durable: at once unless one comes
   * from a queue with maxReceives (see markInflight).
   */
  protected deliveryDurable(messages: StoredMessage[]): Promise<void> | undefined {
    for (const message of messages) {
      if (message.queue.config.maxReceives > 0) return this.journal.commit()
    }
    return undefined
  }

  /** A replayed message that has been delivered maxReceives times and is due now: a restart releases it to its dead letters. */
  protected spentAtRestart(message: StoredMessage, now: number): boolean {
    return message.until <= now && this.pastMaxReceives(message)
  }

  /**
   * After replay: moves a spent message (held, not placed) to its dead-letter queue, its body
   * read back first; one whose body cannot be read stays ready (take() moves it later).
   */
  protected deadLetterSpent(message: StoredMessage, now: number): void {
    if (message.bodyJson === undefined) {
      const stored = this.journal.readBody?.(message)
      if (stored === undefined) return this.place(message, now)
      message.bodyJson = stored.bodyJson
      message.attrs = stored.attrs
    }
    this.moveToDeadLetter(message, false)
  }

  private pastMaxReceives(message: StoredMessage): boolean {
    const { maxReceives, deadLetter } = message.queue.config
    return maxReceives > 0 && message.receives >= maxReceives && deadLetter !== undefined && deadLetter !== message.queue.name
  }

  protected leaveInflight(message: StoredMessage): void {
    const lease = message.lease
    if (lease) {
      this.receipts.delete(lease.receipt)
      if (lease.sub) lease.sub.unacked--
      message.lease = undefined
    }
    message.queue.inflight--
    message.queue.settleGroup(message)
  }

  /** Back to the queue after a nack, a timeout or a closed connection, or on to the dead letters. */
  protected releaseMessage(message: StoredMessage, delayMs: number, dispatch = true): void {
    const queue = message.queue
    // Back in the queue, the count must survive a restart: it decides the dead-letter move.
    this.logReceive(message)
    this.leaveInflight(message)
    // Taken for delivery, its body is in memory (see take).
    if (this.pastMaxReceives(message) && message.bodyJson !== undefined) {
      this.moveToDeadLetter(message, dispatch)
    } else if (delayMs > 0) {
      message.until = this.clock.now() + delayMs
      this.tryAppend({ type: 'release', queue: queue.name, mid: message.key, visibleAt: message.until })
      this.place(message, this.clock.now())
    } else {
      queue.pushReady(message, true)
    }
    if (dispatch) this.dispatch(queue)
  }

  /**
   * Moves a message out of its queue (not in flight, its body in memory) to the queue's dead-letter
   * queue, as a new copy there (its own key: the queue may hold other copies of the same message).
   */
  private moveToDeadLetter(message: StoredMessage, dispatch: boolean): void {
    const queue = message.queue
    const target = this.queueOrDeclare(queue.config.deadLetter as string, false)
    const toMid = copyKey(message)
    const move: JournalRecord = {
      type: 'move', from: queue.name, to: target.name, mid: message.key, toMid, receives: message.receives, origin: queue.name,
    }
    this.tryAppend(move)
    queue.letGo(message)
    queue.deadLettered++
    message.state = State.Gone
    message.generation++
    const moved = this.materialize(target, { ...toRecord(message, message.bodyJson as string), mid: toMid, origin: queue.name })
    move[HELD] = [message, moved]
    target.pushReady(moved, false)
    if (dispatch) this.dispatch(target)
  }

  /** Expires the queue's ready messages past its retention, wherever they stand (PROTOCOL.md §6.8). */
  protected expireDue(queue: Queue, now = this.clock.now()): void {
    queue.expire(now, (message) => this.expire(message))
    // The backlog is in publish order: its expired messages are at its front, read ahead to go.
    const backlog = queue.backlog
    const cutoff = now - queue.config.retention * 1000
    while (backlog.count > 0 && backlog.oldestAt <= cutoff && this.readAhead(queue) > 0) {
      queue.expire(now, (message) => this.expire(message))
    }
  }

  private expire(message: StoredMessage): void {
    this.tryAppend(expireRecord(message))
    this.forget(message)
  }

  protected forget(message: StoredMessage): void {
    message.state = State.Gone
    message.generation++
    message.queue.letGo(message)
    // Gone for good: the receive-count list or a timer may still hold the message a while, but
    // not its body.
    message.bodyJson = undefined
  }

  protected removeAll(queue: Queue): number {
    let count = 0
    for (const message of queue.held()) {
      if (message.state === State.Inflight) this.leaveInflight(message)
      message.state = State.Gone
      message.generation++
      count++
    }
    // Every group goes too, those held by an in-flight or delayed message included.
    queue.clearAll()
    queue.letGoAll()
    queue.delayed = 0
    return count
  }

  /** The messages a queue holds now, each with its state: what `restore` puts back. */
  protected snapshotHeld(queue: Queue): HeldState[] {
    const out: HeldState[] = []
    for (const message of queue.held()) out.push({ message, state: message.state })
    return out
  }

  /**
   * Puts back what a refused purge, drop or redrive took out of `queue`: delayed ones delayed,
   * the others ready (one that was in flight too: its receipt is spent, as after a release).
   */
  protected restore(queue: Queue, held: HeldState[]): void {
    const now = this.clock.now()
    for (const { message, state } of held) {
      if (message.state !== State.Gone || message.queue !== queue) continue
      queue.hold(message)
      if (state === State.Delayed) this.place(message, now)
      else queue.pushReady(message, false)
    }
    this.dispatch(queue)
  }

  protected dispatch(queue: Queue): void {
    for (;;) {
      // Topped up from the backlog first, as each take does.
      this.refill(queue)
      if (!queue.hasDeliverable()) return
      const waiter = queue.waiters.peekFront()
      if (waiter) {
        const taken: StoredMessage[] = []
        for (let m = this.take(queue); m; m = taken.length < waiter.max ? this.take(queue) : undefined) {
          this.markInflight(m, waiter.visibilityTimeout, waiter.owner, undefined)
          taken.push(m)
        }
        if (taken.length === 0) return
        queue.waiters.shift()
        waiter.resolve(taken)
        continue
      }
      const sub = queue.nextSubscriber()
      if (!sub) return
      const message = this.take(queue)
      if (!message) return
      this.markInflight(message, undefined, sub.owner, sub)
      sub.unacked++
      const durable = this.deliveryDurable([message])
      if (durable === undefined) sub.deliver(message)
      else this.deliverOnceDurable(durable, sub, message)
    }
  }

  /**
   * Pushes the delivery once its receive count is durable, unless it was settled meanwhile; if
   * the log refuses, it stays in flight and comes back when its visibility timeout runs out.
   */
  private deliverOnceDurable(durable: Promise<void>, sub: LocalSubscription, message: StoredMessage): void {
    const lease = message.lease
    durable.then(() => {
      if (message.lease === lease && !sub.closed) sub.deliver(message)
    }, () => undefined)
  }

  private onTimer(message: StoredMessage, generation: number): void {
    if (message.generation !== generation) return
    if (message.state === State.Inflight) {
      this.releaseMessage(message, 0)
    } else if (message.state === State.Delayed) {
      message.queue.delayed--
      if (holdsGroup(message)) message.queue.settleGroup(message)
      message.queue.pushReady(message, false)
      this.dispatch(message.queue)
    }
  }

  protected removeWaiter(queue: Queue, waiter: { resolve: (m: StoredMessage[]) => void }): void {
    const rest = [...queue.waiters].filter((w) => w !== waiter)
    if (rest.length === queue.waiters.length) return
    queue.waiters.clear()
    for (const w of rest) queue.waiters.push(w)
    waiter.resolve([])
  }

  protected cancelWaiters(queue: Queue): void {
    for (let w = queue.waiters.shift(); w; w = queue.waiters.shift()) w.resolve([])
  }

  protected scheduleSweep(): void {
    this.sweepHandle = this.clock.setTimeout(() => {
      const now = this.clock.now()
      for (const queue of this.queues.values()) {
        this.expireDue(queue, now)
        for (const [id, seen] of queue.dedup) {
          if (seen.at > now - DEDUP_WINDOW_MS) break
          queue.dedup.delete(id)
        }
      }
      this.scheduleSweep()
    }, SWEEP_MS)
  }

  /** Bookkeeping records (receive counts, releases): a failed write must not fail the delivery. */
  private tryAppend(record: JournalRecord): void {
    try {
      this.journal.append(record)
    } catch {
      // The journal reports itself unhealthy; publishes fail with `unavailable` until it recovers.
    }
  }
}
