// The queue engine: the life of a message from placed (ready or delayed) to taken and delivered,
// in flight under a visibility timer, then acked, released, moved to its dead-letter queue or
// expired (PROTOCOL.md §6 "Semantics"). Synchronous, its time from a Clock, no file and no socket:
// every change is written through its port (port.ts) as it is made, and deliveries go to the
// subscriptions' and waiters' callbacks. The local store (broker/store/local/) is its adapter.
import { notFound } from '../../shared/errors.js'
import { systemClock, type Clock } from '../../shared/clock.js'
import type { DeclareInput, Owner } from '../../shared/protocol/store-types.js'
import type { Queue } from './queue.js'
import { State, type LocalSubscription, type StoredMessage } from './message.js'
import { holdsGroup } from './groups.js'
import { TimerHeap } from './timer-heap.js'
import { nextReceipt } from './message-ids.js'
import { copyKey, expireRecord, messageOf, toRecord, type EngineRecord, type MessageRecord } from './records.js'
import { declareQueue } from './declare.js'
import { sweep } from './retention.js'
import { ended, movedOut, released } from './apply.js'
import type { Undo } from './undo.js'
import { BODIES_IN_MEMORY, type EngineOptions, type EnginePort } from './port.js'

const SWEEP_MS = 1000
/**
 * A delivery's receive count is written this long after it, if the message is still out by then
 * (PROTOCOL.md §9): most deliveries are acked sooner, and their count never needs writing.
 */
export const RECEIVE_LOG_MS = 200
/** The most messages one read-ahead from a backlog makes objects of. */
const READ_AHEAD_MAX = 2048

export class QueueEngine {
  readonly queues = new Map<string, Queue>()
  readonly receipts = new Map<string, StoredMessage>()
  /** Owners whose connection closed (releaseOwner): a settle of theirs refused later gives its message back. */
  readonly gone = new WeakSet<Owner>()
  readonly port: EnginePort
  readonly clock: Clock
  readonly timers: TimerHeap<StoredMessage>
  private sweepHandle: unknown
  /** Deliveries whose receive count is not written yet, oldest first. */
  private unlogged: StoredMessage[] = []
  private unloggedHandle: unknown
  /** A standard queue with this many ready objects sends new publishes to its backlog. */
  readonly highWater: number
  /** Below this many ready objects, a queue reads ahead from its backlog. */
  private readonly lowWater: number
  private readonly readAheadBatch: number
  private readonly maxQueues: number

  constructor(options: EngineOptions) {
    this.maxQueues = options.maxQueues ?? Infinity
    this.port = options.port
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

  /** Writes the receive counts still due and stops every timer: the store is closing. */
  stopTimers(): void {
    this.logReceives()
    this.timers.stop()
    if (this.sweepHandle !== undefined) this.clock.clearTimeout(this.sweepHandle)
    this.sweepHandle = undefined
  }

  /**
   * Makes or changes the queue, its record written; `undo` learns how to take it back.
   * `enforceLimit` false: a queue the broker itself needs is made even over max-queues.
   */
  declare(input: DeclareInput, enforceLimit = true, undo?: Undo): boolean {
    return declareQueue(this.queues, this.port, input, enforceLimit ? this.maxQueues : undefined, undo)
  }

  existing(name: string): Queue {
    const queue = this.queues.get(name)
    if (!queue) throw notFound(`queue ${name} does not exist`)
    return queue
  }

  /** `undo`: told how to take the queue back when the op that made it is refused. */
  queueOrDeclare(name: string, enforceLimit = true, undo?: Undo): Queue {
    const queue = this.queues.get(name)
    if (queue) return queue
    this.declare({ queue: name }, enforceLimit, undo)
    return this.queues.get(name) as Queue
  }

  /** The copy of `record` for the queue at `index` of its queues, held by that queue. */
  materialize(queue: Queue, record: MessageRecord, index = 0): StoredMessage {
    const message = messageOf(queue, record, index)
    queue.hold(message)
    return message
  }

  /** Puts a new or recovered message where it belongs: delayed until `until`, or ready. */
  place(message: StoredMessage, now: number): void {
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
   * Reads the next messages of the queue's backlog back from the log (the port writes the
   * `advance` record first) and makes them ready objects behind the others. Returns how many;
   * none when the log cannot be read or written now (the backlog stays as it was).
   */
  readAhead(queue: Queue): number {
    const backlog = queue.backlog
    if (backlog.count === 0 || backlog.start === undefined) return 0
    const found = this.port.readAhead(queue, Math.min(this.readAheadBatch, backlog.count))
    if (found.length === 0) return 0
    for (const message of found) {
      queue.hold(message)
      queue.pushReady(message, false)
    }
    backlog.oldestAt = (found[found.length - 1] as StoredMessage).publishedAt
    return found.length
  }

  /** Tops the queue's ready objects up from its backlog once they run low. */
  refill(queue: Queue): void {
    if (queue.backlog.count > 0 && queue.readyLength < this.lowWater) this.readAhead(queue)
  }

  /** The next ready message, skipping (and deleting) those past their retention. */
  take(queue: Queue): StoredMessage | undefined {
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
      if (message.bodyJson === undefined && !this.unspill(message)) return undefined
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

  /**
   * Reads a taken message's body back from the log. When it cannot (the error is logged), the
   * message goes back to the front of its queue and nothing more is taken from it this time.
   */
  private unspill(message: StoredMessage): boolean {
    const stored = this.port.readBody(message.seq)
    if (stored !== undefined) {
      message.bodyJson = stored.bodyJson
      message.attrs = stored.attrs
      return true
    }
    message.queue.settleGroup(message)
    message.queue.pushReady(message, true)
    return false
  }

  markInflight(message: StoredMessage, visibilityTimeout: number | undefined, owner: Owner, sub: LocalSubscription | undefined): void {
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
    this.tryWrite({ type: 'receive', queue: message.queue.name, mid: message.key, receives: message.receives })
  }

  /**
   * Resolves once the receive counts of these deliveries are durable: at once unless one comes
   * from a queue with maxReceives (see markInflight).
   */
  deliveryDurable(messages: StoredMessage[]): Promise<void> | undefined {
    for (const message of messages) {
      if (message.queue.config.maxReceives > 0) return this.port.durable()
    }
    return undefined
  }

  pastMaxReceives(message: StoredMessage): boolean {
    const { maxReceives, deadLetter } = message.queue.config
    return maxReceives > 0 && message.receives >= maxReceives && deadLetter !== undefined && deadLetter !== message.queue.name
  }

  leaveInflight(message: StoredMessage): void {
    const lease = message.lease
    if (lease) {
      this.receipts.delete(lease.receipt)
      if (lease.sub) lease.sub.unacked--
      message.lease = undefined
    }
    message.queue.inflight--
    message.queue.settleGroup(message)
  }

  /** Back to the queue after a timeout or a closed connection, or on to the dead letters. */
  releaseMessage(message: StoredMessage, delayMs: number, dispatch = true): void {
    const visibleAt = this.writeRelease(message, delayMs)
    this.leaveAndPlace(message, visibleAt, dispatch)
  }

  /**
   * Writes what a release of the in-flight `message` leaves in the log: its receive count (back
   * in the queue, the count must survive a restart: it decides the dead-letter move) and, for a
   * delay, the `release` record with the time it is visible again. Returns that time (0: now).
   */
  writeRelease(message: StoredMessage, delayMs: number): number {
    this.logReceive(message)
    // Taken for delivery, its body is in memory (see take): past maxReceives it moves instead.
    if (delayMs <= 0 || (this.pastMaxReceives(message) && message.bodyJson !== undefined)) return 0
    const visibleAt = this.clock.now() + delayMs
    this.tryWrite({ type: 'release', queue: message.queue.name, mid: message.key, visibleAt })
    return visibleAt
  }

  /**
   * The in-flight `message` leaves its receipt and goes back to its queue: visible at `visibleAt`
   * (0: at once, at the front), or on to its dead-letter queue past maxReceives.
   */
  leaveAndPlace(message: StoredMessage, visibleAt: number, dispatch = true): void {
    const queue = message.queue
    this.leaveInflight(message)
    if (this.pastMaxReceives(message) && message.bodyJson !== undefined) {
      this.moveToDeadLetter(message, dispatch)
    } else if (visibleAt > 0) {
      released(message, visibleAt)
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
  moveToDeadLetter(message: StoredMessage, dispatch: boolean): void {
    const queue = message.queue
    const target = this.queueOrDeclare(queue.config.deadLetter as string, false)
    const toMid = copyKey(message)
    const move: EngineRecord = {
      type: 'move', from: queue.name, to: target.name, mid: message.key, toMid, receives: message.receives, origin: queue.name,
    }
    this.tryWrite(move)
    movedOut(message, true)
    message.state = State.Gone
    message.generation++
    // The copy keeps the message's seq: its data stays where it is in the log.
    const moved = this.materialize(target, { ...toRecord(message, message.bodyJson as string), mid: toMid, origin: queue.name })
    target.pushReady(moved, false)
    if (dispatch) this.dispatch(target)
  }

  /** expire, as the callback Queue.expire takes (made once). */
  readonly expireOne = (message: StoredMessage): void => this.expire(message)

  /** The message is past its queue's retention: it leaves, and is not counted as acked. */
  expire(message: StoredMessage): void {
    this.tryWrite(expireRecord(message), message.seq)
    this.forget(message)
  }

  /** The message leaves for good (a delete or an expire, `acked` counting it so). */
  forget(message: StoredMessage, acked = false): void {
    message.state = State.Gone
    message.generation++
    ended(message, acked)
    // Gone for good: the receive-count list or a timer may still hold the message a while, but
    // not its body.
    message.bodyJson = undefined
  }

  dispatch(queue: Queue): void {
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

  scheduleSweep(): void {
    this.sweepHandle = this.clock.setTimeout(() => {
      sweep(this, this.clock.now())
      this.scheduleSweep()
    }, SWEEP_MS)
  }

  /** Bookkeeping records (receive counts, releases): a failed write must not fail the delivery. */
  tryWrite(record: EngineRecord, ends?: number): void {
    try {
      this.port.write(record, ends)
    } catch {
      // The log reports itself unhealthy; publishes fail with `unavailable` until it recovers.
    }
  }
}
