// The local store: queues in memory, every change written to a Journal (the durable log by
// default, or nothing) so that a restart rebuilds the same state (PROTOCOL.md §6 "Semantics").
import { HubqError, badRequest, notFound, tooManyQueues } from '../../../shared/errors.js'
import { systemClock, type Clock } from '../../../shared/clock.js'
import {
  QUEUE_DEFAULTS,
  type Delivery, type PeekState, type PublishInput, type QueueConfig, type TopicStats,
} from '../../../shared/protocol/types.js'
import type {
  DeclareInput, MessageStore, Owner, PublishTarget, ReceiveOptions, StoreStats, Subscription,
} from '../types.js'
import { HELD, type Journal, type JournalRecord, type PublishRecord } from '../journal.js'
import { Queue, State, StoredMessage, holdsGroup, type LocalSubscription } from './queue.js'
import { TimerHeap } from './timer-heap.js'
import { matchesFilter } from './filter.js'
import { nextMessageId, nextReceipt } from './message-ids.js'
import { liveView, replayRecord, replayState, toRecord } from './replay.js'

const DEDUP_WINDOW_MS = 5 * 60 * 1000
const SWEEP_MS = 1000
/**
 * A delivery's receive count is written this long after it, if the message is still out by then
 * (PROTOCOL.md §9): most deliveries are acked sooner, and their count never needs writing.
 */
export const RECEIVE_LOG_MS = 200
/**
 * A queue keeps the bodies of this many ready messages in memory; a message published behind
 * them keeps its body on disk only, once written, and it is read back as it is taken
 * (PROTOCOL.md §9). A deep queue then costs memory for its messages' bookkeeping, not their bodies.
 */
export const BODIES_IN_MEMORY = 10_000

export interface LocalStoreOptions {
  journal: Journal
  clock?: Clock
  /** Queues at most (`--max-queues`); a client creating one more gets `limit` (PROTOCOL.md §3). */
  maxQueues?: number
  /** Ready messages per queue whose bodies stay in memory (default BODIES_IN_MEMORY). */
  bodiesInMemory?: number
}

export class LocalStore implements MessageStore {
  readonly queues = new Map<string, Queue>()
  private readonly topics = new Map<string, Map<string, Record<string, string[]> | undefined>>()
  private readonly receipts = new Map<string, StoredMessage>()
  private readonly journal: Journal
  private readonly clock: Clock
  private readonly timers: TimerHeap<StoredMessage>
  private sweepHandle: unknown
  private subscriptionSeq = 0
  /** Deliveries whose receive count is not written yet, oldest first. */
  private unlogged: StoredMessage[] = []
  private unloggedHandle: unknown
  private readonly maxQueues: number
  private readonly bodiesInMemory: number

  constructor(options: LocalStoreOptions) {
    this.journal = options.journal
    this.maxQueues = options.maxQueues ?? Infinity
    this.bodiesInMemory = options.bodiesInMemory ?? BODIES_IN_MEMORY
    this.clock = options.clock ?? systemClock
    this.timers = new TimerHeap(
      this.clock,
      (message, generation) => this.onTimer(message, generation),
      (message, generation) => message.generation === generation,
    )
  }

  get description(): string {
    return `local, journal: ${this.journal.description}`
  }

  async open(): Promise<void> {
    const state = replayState(this.queues, this.topics, (queue, record) => this.materialize(queue, record))
    const live = liveView(this.queues, this.topics, () => this.clock.now() - DEDUP_WINDOW_MS, (message) => this.bodyOf(message))
    // Bodies are not replayed: the first ones of each queue are read back below, the rest as they are taken.
    await this.journal.open((record, where, at) => replayRecord(state, record, where, at), live, { bodiesLater: true })
    const now = this.clock.now()
    for (const queue of this.queues.values()) {
      for (const message of inPublishOrder(queue)) this.place(message, now)
      this.loadFront(queue)
    }
    this.scheduleSweep()
  }

  async close(): Promise<void> {
    this.logReceives()
    this.timers.stop()
    if (this.sweepHandle !== undefined) this.clock.clearTimeout(this.sweepHandle)
    this.sweepHandle = undefined
    for (const queue of this.queues.values()) this.cancelWaiters(queue)
    await this.journal.close()
  }

  healthy(): boolean {
    return this.journal.writable()
  }

  // ---- queues and topics -------------------------------------------------------------------

  /** `enforceLimit` false: a queue the broker itself needs (a dead-letter move, a redrive) is made even over max-queues. */
  declare(input: DeclareInput, enforceLimit = true): { created: boolean } {
    const existing = this.queues.get(input.queue)
    if (!existing && enforceLimit && this.queues.size >= this.maxQueues) {
      throw tooManyQueues(this.maxQueues, input.queue)
    }
    if (existing && input.fifo !== undefined && input.fifo !== existing.config.fifo) {
      throw badRequest(`queue ${input.queue} exists with fifo=${existing.config.fifo}; drop it first`)
    }
    const config: QueueConfig = { ...(existing?.config ?? { queue: input.queue, ...QUEUE_DEFAULTS }) }
    for (const key of ['visibilityTimeout', 'maxReceives', 'delay', 'retention', 'fifo', 'deadLetter'] as const) {
      if (input[key] !== undefined) (config as unknown as Record<string, unknown>)[key] = input[key]
    }
    this.journal.append({ type: 'declare', config })
    if (existing) {
      existing.config = config
      return { created: false }
    }
    this.queues.set(config.queue, new Queue(config))
    return { created: true }
  }

  // Topics and bindings answer once their record is durable: a confirmed bind survives a crash.
  topic(topic: string): Promise<{ created: boolean }> {
    if (this.topics.has(topic)) return this.journal.commit().then(() => ({ created: false }))
    this.journal.append({ type: 'topic', topic })
    this.topics.set(topic, new Map())
    return this.journal.commit().then(() => ({ created: true }))
  }

  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
    const bindings = this.topics.get(topic)
    if (!bindings) throw notFound(`topic ${topic} does not exist`)
    this.queueOrDeclare(queue)
    this.journal.append({ type: 'bind', topic, queue, ...(filter ? { filter } : {}) })
    bindings.set(queue, filter)
    return this.journal.commit()
  }

  unbind(topic: string, queue: string): Promise<void> {
    const bindings = this.topics.get(topic)
    if (!bindings) throw notFound(`topic ${topic} does not exist`)
    if (!bindings.has(queue)) throw notFound(`queue ${queue} is not bound to topic ${topic}`)
    this.journal.append({ type: 'unbind', topic, queue })
    bindings.delete(queue)
    return this.journal.commit()
  }

  // ---- publish -----------------------------------------------------------------------------

  publish(target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
    if (inputs.length === 1 && 'queue' in target) {
      const queue = this.queueOrDeclare(target.queue)
      if (!queue.config.fifo) return this.publishOne(queue, inputs[0] as PublishInput)
    }
    const now = this.clock.now()
    const mids: string[] = new Array(inputs.length)
    const records: PublishRecord[] = []
    const dedupAdded: [Queue, string][] = []
    try {
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i] as PublishInput
        const queues = this.targets(target, input)
        let duplicate: string | undefined
        for (const queue of queues) {
          if (!queue.config.fifo) continue
          if (input.group === undefined) throw badRequest(`queue ${queue.name} is fifo: group is required`)
          // As on SQS FIFO: a delayed message could not keep its place in its group.
          if (input.delay !== undefined && input.delay > 0) {
            throw badRequest(`queue ${queue.name} is fifo: per-message delay is not supported (declare the queue with a delay)`)
          }
          if (input.dedupId === undefined) continue
          const seen = queue.dedup.get(input.dedupId)
          if (seen && seen.at > now - DEDUP_WINDOW_MS) duplicate = seen.mid
        }
        if (duplicate !== undefined) {
          mids[i] = duplicate
          continue
        }
        const mid = nextMessageId()
        mids[i] = mid
        const delay = input.delay ?? ('queue' in target ? (queues[0]?.config.delay ?? 0) : 0)
        const record = publishRecord(queues.map((q) => q.name), mid, input, now, delay)
        // As SNS to SQS: a fan-out without a delay of its own waits out each queue's default delay.
        if (input.delay === undefined && 'topic' in target && queues.some((q) => q.config.delay > 0)) record.queueDelay = true
        if (input.dedupId !== undefined) {
          for (const queue of queues) {
            if (!queue.config.fifo) continue
            queue.dedup.delete(input.dedupId)
            queue.dedup.set(input.dedupId, { mid, at: now })
            dedupAdded.push([queue, input.dedupId])
          }
        }
        if (queues.length === 0) continue
        this.journal.append(record)
        records.push(record)
      }
    } catch (err) {
      for (const [queue, dedupId] of dedupAdded) queue.dedup.delete(dedupId)
      return Promise.reject(err)
    }
    // Consumers get the message now; the publisher's confirm waits for the fsync (PROTOCOL.md §9).
    // A crash before the fsync loses only messages nobody was told were kept, as in RabbitMQ.
    const placed = records.length === 0 ? [] : this.placeNew(records, now)
    return this.journal.commit().then(
      () => {
        for (const message of placed) this.spill(message)
        return mids
      },
      (err: unknown) => {
        for (const [queue, dedupId] of dedupAdded) queue.dedup.delete(dedupId)
        this.withdraw(placed)
        throw err
      },
    )
  }

  /** The common case: one message to one standard queue, as `publish` does it, without its lists. */
  private publishOne(queue: Queue, input: PublishInput): Promise<string[]> {
    const now = this.clock.now()
    const mid = nextMessageId()
    const record = publishRecord(queue.nameList, mid, input, now, input.delay ?? queue.config.delay)
    this.journal.append(record)
    const message = this.materialize(queue, record)
    record[HELD] = [message]
    this.place(message, now)
    queue.published++
    this.dispatch(queue)
    const mids = [mid]
    return this.journal.commit().then(
      () => {
        this.spill(message)
        return mids
      },
      (err: unknown) => {
        this.withdraw([message])
        throw err
      },
    )
  }

  /** Puts freshly published messages into their queues and hands them to waiting consumers. */
  private placeNew(records: PublishRecord[], now: number): StoredMessage[] {
    const placed: StoredMessage[] = []
    let only: Queue | undefined
    let touched: Set<Queue> | undefined
    for (const record of records) {
      const held: StoredMessage[] = []
      record[HELD] = held
      for (const name of record.queues) {
        const queue = this.queueOrDeclare(name, false)
        const message = this.materialize(queue, record)
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
  private withdraw(messages: StoredMessage[]): void {
    const reorder = new Set<Queue>()
    for (const message of messages) {
      const queue = message.queue
      if (message.state === State.Ready) reorder.add(queue)
      else if (message.state === State.Delayed) queue.delayed--
      else continue
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

  private targets(target: PublishTarget, input: PublishInput): Queue[] {
    if ('queue' in target) return [this.queueOrDeclare(target.queue)]
    const bindings = this.topics.get(target.topic)
    if (!bindings) throw notFound(`topic ${target.topic} does not exist`)
    const out: Queue[] = []
    for (const [name, filter] of bindings) {
      if (matchesFilter(filter, input.attrs)) out.push(this.queueOrDeclare(name))
    }
    return out
  }

  // ---- receive and subscribe ---------------------------------------------------------------

  receive(name: string, options: ReceiveOptions): Delivery[] | Promise<Delivery[]> {
    const queue = this.queueOrDeclare(name)
    const taken: StoredMessage[] = []
    for (let m = this.take(queue); m; m = taken.length < options.max ? this.take(queue) : undefined) {
      this.markInflight(m, options.visibilityTimeout, options.owner, undefined)
      taken.push(m)
      if (taken.length >= options.max) break
    }
    if (taken.length > 0 || options.wait <= 0) return taken.map((m) => toDelivery(m))
    return new Promise((resolve) => {
      let timer: unknown
      const waiter = {
        max: options.max,
        visibilityTimeout: options.visibilityTimeout,
        owner: options.owner,
        resolve: (messages: StoredMessage[]) => {
          if (timer !== undefined) this.clock.clearTimeout(timer)
          options.signal?.removeEventListener('abort', onAbort)
          resolve(messages.map((m) => toDelivery(m)))
        },
      }
      const onAbort = (): void => this.removeWaiter(queue, waiter)
      timer = this.clock.setTimeout(() => this.removeWaiter(queue, waiter), options.wait * 1000)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      queue.waiters.push(waiter)
    })
  }

  subscribe(name: string, owner: Owner, prefetch: number, deliver: (d: Delivery) => void): Subscription {
    const queue = this.queueOrDeclare(name)
    const sub: LocalSubscription = {
      id: `s${++this.subscriptionSeq}`,
      queue,
      owner,
      prefetch,
      unacked: 0,
      closed: false,
      paused: false,
      deliver: (message) => deliver(toDelivery(message)),
    }
    queue.subscriptions.push(sub)
    // Deliveries start on the next turn, after the reply that names the subscription is out.
    setImmediate(() => this.dispatch(queue))
    return {
      id: sub.id,
      close: () => {
        sub.closed = true
        const list = sub.queue.subscriptions
        const index = list.indexOf(sub)
        if (index >= 0) list.splice(index, 1)
      },
      pause: () => {
        sub.paused = true
      },
      resume: () => {
        if (!sub.paused) return
        sub.paused = false
        if (!sub.closed) this.dispatch(sub.queue)
      },
    }
  }

  // ---- settle ------------------------------------------------------------------------------

  ack(receipts: string[]): number {
    let acked = 0
    const touched = new Set<Queue>()
    for (const receipt of receipts) {
      const message = this.receipts.get(receipt)
      if (!message) {
        if (receipts.length === 1) throw unknownReceipt()
        continue
      }
      const queue = message.queue
      this.journal.append(deleteRecord(message))
      this.leaveInflight(message)
      queue.acked++
      this.forget(message)
      touched.add(queue)
      acked++
    }
    for (const queue of touched) this.dispatch(queue)
    return acked
  }

  nack(receipt: string, delay: number): void {
    const message = this.receipts.get(receipt)
    if (!message) throw unknownReceipt()
    this.releaseMessage(message, delay * 1000)
  }

  touch(receipt: string, timeout: number): void {
    const message = this.receipts.get(receipt)
    if (!message) throw unknownReceipt()
    if (timeout === 0) return this.releaseMessage(message, 0)
    message.until = this.clock.now() + timeout * 1000
    message.generation++
    this.timers.add(message.until, message, message.generation)
  }

  release(owner: Owner): void {
    const touched = new Set<Queue>()
    for (const queue of this.queues.values()) {
      for (let i = queue.subscriptions.length - 1; i >= 0; i--) {
        const sub = queue.subscriptions[i] as LocalSubscription
        if (sub.owner === owner) {
          sub.closed = true
          queue.subscriptions.splice(i, 1)
        }
      }
    }
    // Each release goes to the front, so walk newest first: the released keep their order.
    for (const message of [...this.receipts.values()].reverse()) {
      if (message.owner !== owner) continue
      this.releaseMessage(message, 0, false)
      touched.add(message.queue)
      // The release may have moved it to the dead-letter queue, whose consumers wait too.
      const deadLetter = message.queue.config.deadLetter
      const target = deadLetter === undefined ? undefined : this.queues.get(deadLetter)
      if (target) touched.add(target)
    }
    for (const queue of touched) this.dispatch(queue)
  }

  // ---- admin -------------------------------------------------------------------------------

  purge(name: string): number {
    const queue = this.existing(name)
    this.journal.append({ type: 'purge', queue: name, [HELD]: [...queue.held()] })
    return this.removeAll(queue)
  }

  drop(name: string): void {
    const queue = this.existing(name)
    this.journal.append({ type: 'drop', queue: name, [HELD]: [...queue.held()] })
    this.removeAll(queue)
    for (const sub of queue.subscriptions) sub.closed = true
    queue.subscriptions.length = 0
    this.cancelWaiters(queue)
    this.queues.delete(name)
    for (const bindings of this.topics.values()) bindings.delete(name)
  }

  peek(name: string, state: PeekState, max: number): Delivery[] {
    const queue = this.existing(name)
    const out: Delivery[] = []
    if (state === 'ready') {
      for (const message of queue.readyMessages()) {
        if (out.length >= max) break
        out.push(toDelivery(message, this.readableBody(message)))
      }
      return out
    }
    const wanted = state === 'inflight' ? State.Inflight : State.Delayed
    for (const message of queue.held()) {
      if (out.length >= max) break
      if (message.state === wanted) out.push(toDelivery(message, this.readableBody(message)))
    }
    return out
  }

  /**
   * Moves a dead-letter queue's messages back where they died, visible at once, receive counts
   * reset; messages in flight stay (their receipts stay valid) and can be redriven once released.
   */
  redrive(name: string): Promise<number> {
    const queue = this.existing(name)
    let moved = 0
    const touched = new Set<Queue>()
    const now = this.clock.now()
    for (const message of [...queue.held()]) {
      if (message.origin === undefined || message.state === State.Inflight) continue
      // One whose body cannot be read stays (the error is logged): the copy needs it.
      const body = this.bodyOf(message)
      if (body === undefined) continue
      const target = this.queueOrDeclare(message.origin, false)
      const move: JournalRecord = { type: 'move', from: queue.name, to: target.name, mid: message.mid, receives: 0 }
      this.journal.append(move)
      if (message.state === State.Ready) {
        // Ready messages sit in the deque; take them all out once, below.
        message.state = State.Gone
      } else {
        queue.delayed--
        if (holdsGroup(message)) queue.settleGroup(message)
      }
      message.generation++
      queue.letGo(message)
      const copy = this.materialize(target, { ...toRecord(message, body), visibleAt: 0, receives: 0, origin: undefined })
      move[HELD] = [message, copy]
      this.place(copy, now)
      touched.add(target)
      moved++
    }
    // Keep what was not moved (messages without an origin) in order.
    for (const message of queue.drainReady()) {
      if (message.state !== State.Gone) queue.pushReady(message, false)
    }
    for (const target of touched) this.dispatch(target)
    return this.journal.commit().then(() => moved)
  }

  stats(name?: string): StoreStats {
    // By name (PROTOCOL.md §4.16): the map's order is creation order at run time but log order
    // after a restart, which compaction changes.
    const queues = name === undefined ? [...this.queues.values()].sort(byName) : [this.existing(name)]
    const topics: TopicStats[] = []
    for (const [topic, bindings] of this.topics) {
      topics.push({
        topic,
        bindings: [...bindings].map(([queue, filter]) => (filter ? { queue, filter } : { queue })),
      })
    }
    return { queues: queues.map((q) => q.stats()), topics }
  }

  // ---- internals ---------------------------------------------------------------------------

  private existing(name: string): Queue {
    const queue = this.queues.get(name)
    if (!queue) throw notFound(`queue ${name} does not exist`)
    return queue
  }

  private queueOrDeclare(name: string, enforceLimit = true): Queue {
    const queue = this.queues.get(name)
    if (queue) return queue
    this.declare({ queue: name }, enforceLimit)
    return this.queues.get(name) as Queue
  }

  private materialize(queue: Queue, record: PublishRecord): StoredMessage {
    const message = new StoredMessage(
      record.mid, queue, record.bodyJson, record.publishedAt, record.receives ?? 0,
      record.queueDelay ? record.publishedAt + queue.config.delay * 1000 : record.visibleAt,
      record.attrs, record.group, record.dedupId, record.origin,
    )
    queue.hold(message)
    return message
  }

  /** Puts a new or recovered message where it belongs: delayed until `until`, or ready. */
  private place(message: StoredMessage, now: number): void {
    if (message.until > now) {
      message.state = State.Delayed
      message.generation++
      message.queue.delayed++
      if (holdsGroup(message)) message.queue.holdGroup(message.group as string)
      this.timers.add(message.until, message, message.generation)
    } else {
      message.queue.pushReady(message, false)
    }
  }

  /** The next ready message, skipping (and deleting) those past their retention. */
  private take(queue: Queue): StoredMessage | undefined {
    const cutoff = this.clock.now() - queue.config.retention * 1000
    for (;;) {
      const message = queue.takeReady()
      if (!message) return undefined
      if (message.publishedAt <= cutoff) {
        this.expire(message)
        queue.settleGroup(message)
        continue
      }
      if (message.bodyJson === undefined && !this.unspill(message)) return undefined
      return message
    }
  }

  /**
   * A written message behind `bodiesInMemory` others lets go of its body: the log has it. Only
   * a ready one (one out with a consumer, or waiting out a delay, keeps its body).
   */
  private spill(message: StoredMessage): void {
    if (message.state !== State.Ready || message.where === undefined || this.journal.readBody === undefined) return
    if (message.queue.readyLength > this.bodiesInMemory) message.bodyJson = undefined
  }

  /**
   * After a restart, as after a publish: the first `bodiesInMemory` ready messages of a queue
   * have their bodies in memory, the rest in the log only. One that cannot be read now is tried
   * again when it is taken.
   */
  private loadFront(queue: Queue): void {
    let seen = 0
    for (const message of queue.readyMessages()) {
      if (++seen > this.bodiesInMemory) return
      if (message.bodyJson === undefined) message.bodyJson = this.journal.readBody?.(message)
    }
  }

  /**
   * Reads a taken message's body back from the log. When it cannot (the error is logged), the
   * message goes back to the front of its queue and nothing more is taken from it this time.
   */
  private unspill(message: StoredMessage): boolean {
    const body = this.journal.readBody?.(message)
    if (body !== undefined) {
      message.bodyJson = body
      return true
    }
    message.queue.settleGroup(message)
    message.queue.pushReady(message, true)
    return false
  }

  private bodyOf(message: StoredMessage): string | undefined {
    return message.bodyJson ?? this.journal.readBody?.(message)
  }

  /** For peek: the body, wherever it is kept, without keeping it in memory after. */
  private readableBody(message: StoredMessage): string {
    const body = this.bodyOf(message)
    if (body === undefined) throw new HubqError('unavailable', 'a message body kept in the log could not be read')
    return body
  }

  private markInflight(
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
    this.tryAppend({ type: 'receive', queue: message.queue.name, mid: message.mid, receives: message.receives })
  }

  private leaveInflight(message: StoredMessage): void {
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
  private releaseMessage(message: StoredMessage, delayMs: number, dispatch = true): void {
    const queue = message.queue
    // Back in the queue, the count must survive a restart: it decides the dead-letter move.
    this.logReceive(message)
    this.leaveInflight(message)
    const { maxReceives, deadLetter } = queue.config
    // Taken for delivery, its body is in memory (see take).
    const body = message.bodyJson
    if (maxReceives > 0 && message.receives >= maxReceives && deadLetter !== undefined && deadLetter !== queue.name && body !== undefined) {
      const target = this.queueOrDeclare(deadLetter, false)
      const move: JournalRecord = {
        type: 'move', from: queue.name, to: target.name, mid: message.mid, receives: message.receives, origin: queue.name,
      }
      this.tryAppend(move)
      queue.letGo(message)
      queue.deadLettered++
      message.state = State.Gone
      message.generation++
      const moved = this.materialize(target, { ...toRecord(message, body), origin: queue.name })
      move[HELD] = [message, moved]
      target.pushReady(moved, false)
      if (dispatch) this.dispatch(target)
    } else if (delayMs > 0) {
      message.until = this.clock.now() + delayMs
      this.tryAppend({ type: 'release', queue: queue.name, mid: message.mid, visibleAt: message.until })
      this.place(message, this.clock.now())
    } else {
      queue.pushReady(message, true)
    }
    if (dispatch) this.dispatch(queue)
  }

  private expire(message: StoredMessage): void {
    this.tryAppend(deleteRecord(message))
    this.forget(message)
  }

  private forget(message: StoredMessage): void {
    message.state = State.Gone
    message.generation++
    message.queue.letGo(message)
    // Gone for good: the receive-count list or a timer may still hold the message a while, but
    // not its body.
    message.bodyJson = undefined
  }

  private removeAll(queue: Queue): number {
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

  private dispatch(queue: Queue): void {
    while (queue.hasDeliverable()) {
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
      sub.deliver(message)
    }
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

  private removeWaiter(queue: Queue, waiter: { resolve: (m: StoredMessage[]) => void }): void {
    const rest = [...queue.waiters].filter((w) => w !== waiter)
    if (rest.length === queue.waiters.length) return
    queue.waiters.clear()
    for (const w of rest) queue.waiters.push(w)
    waiter.resolve([])
  }

  private cancelWaiters(queue: Queue): void {
    for (let w = queue.waiters.shift(); w; w = queue.waiters.shift()) w.resolve([])
  }

  private scheduleSweep(): void {
    this.sweepHandle = this.clock.setTimeout(() => {
      const now = this.clock.now()
      for (const queue of this.queues.values()) {
        queue.expireFront(now, (message) => this.expire(message))
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

/** The record of an ack or an expiry. The messages go on after the literal: a computed key would take V8's slow path. */
function deleteRecord(message: StoredMessage): JournalRecord {
  const record: JournalRecord = { type: 'delete', queue: message.queue.name, mid: message.mid }
  record[HELD] = [message]
  return record
}

/** The record of one published message, visible `delay` seconds after `now`. */
function publishRecord(queues: readonly string[], mid: string, input: PublishInput, now: number, delay: number): PublishRecord {
  const record: PublishRecord = {
    type: 'publish', queues, mid, bodyJson: input.bodyJson, publishedAt: now, visibleAt: now + delay * 1000,
  }
  if (input.attrs) record.attrs = input.attrs
  if (input.group !== undefined) record.group = input.group
  if (input.dedupId !== undefined) record.dedupId = input.dedupId
  return record
}

/** Code-unit order, as the SQS backend lists queues too: the same in every locale. */
function byName(a: Queue, b: Queue): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

function unknownReceipt(): HubqError {
  return new HubqError('unknown_receipt', 'receipt is unknown, already settled, or its visibility timeout ran out')
}

/** A taken message has its body in memory; peek passes one read from the log. */
function toDelivery(message: StoredMessage, bodyJson = message.bodyJson as string): Delivery {
  const delivery: Delivery = {
    mid: message.mid,
    receipt: message.receipt ?? '',
    queue: message.queue.name,
    bodyJson,
    receives: message.receives,
    publishedAt: message.publishedAt,
  }
  if (message.attrs) delivery.attrs = message.attrs
  if (message.group !== undefined) delivery.group = message.group
  return delivery
}

/**
 * Replayed messages in publish order. Log compaction rewrites an old message after newer ones,
 * so the replay order alone could put it behind them (and break a fifo group's order).
 */
function inPublishOrder(queue: Queue): Iterable<StoredMessage> {
  let previous: StoredMessage | undefined
  for (const message of queue.held()) {
    if (previous && comparePublished(previous, message) > 0) return [...queue.held()].sort(comparePublished)
    previous = message
  }
  return [...queue.held()]
}

function comparePublished(a: StoredMessage, b: StoredMessage): number {
  return a.publishedAt - b.publishedAt || (a.mid < b.mid ? -1 : a.mid > b.mid ? 1 : 0)
}
