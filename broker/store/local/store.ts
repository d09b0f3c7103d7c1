// The local store: queues in memory, every change written to a Journal (the durable log by
// default, or nothing) so that a restart rebuilds the same state (PROTOCOL.md §6 "Semantics").
// Each operation of the protocol is here; the steps of a message's life they share are in
// lifecycle.ts, bodies kept on disk only in bodies.ts.
import { HubqError, badRequest, notFound, tooManyQueues } from '../../../shared/errors.js'
import {
  QUEUE_DEFAULTS,
  type Delivery, type PeekState, type PublishInput, type QueueConfig, type TopicStats,
} from '../../../shared/protocol/types.js'
import {
  byName,
  type DeclareInput, type MessageStore, type Owner, type PublishTarget, type ReceiveOptions, type StoreStats, type Subscription,
} from '../types.js'
import type { QueueInspection } from '../types.js'
import { inspectQueue } from './inspect.js'
import { HELD, type JournalRecord, type LogHandle, type PublishRecord } from '../journal.js'
import { Queue, State, StoredMessage, holdsGroup, type LocalSubscription } from './queue.js'
import { matchesFilter } from './filter.js'
import { nextMessageId } from './message-ids.js'
import { inPublishOrder, liveView, replayRecord, replayState, toRecord, type Bindings } from './replay.js'
import { Undo } from './undo.js'
import { restoreCheckpoint, type StoreCheckpoint } from './checkpoint.js'
import { backlogIndex, mayJoinBacklog, type Backlog, type BacklogSlot } from './backlog.js'
import { BODIES_IN_MEMORY, bodyOf, loadFront, readableBody, spill } from './bodies.js'
import { copyKey, deleteRecord, publishRecord, toDelivery, unknownReceipt } from './records.js'
import { DEDUP_WINDOW_MS, MessageLifecycle, messageOf, type LocalStoreOptions } from './lifecycle.js'

export { BODIES_IN_MEMORY } from './bodies.js'
export { RECEIVE_LOG_MS, type LocalStoreOptions } from './lifecycle.js'

/** The backlog marks of a record to one queue whose message joins its backlog (never changed). */
const JOINS: readonly boolean[] = Object.freeze([true])

export class LocalStore extends MessageLifecycle implements MessageStore {
  private readonly topics = new Map<string, Bindings>()
  private subscriptionSeq = 0
  private readonly maxQueues: number
  private readonly bodiesInMemory: number

  constructor(options: LocalStoreOptions) {
    super(options)
    this.maxQueues = options.maxQueues ?? Infinity
    this.bodiesInMemory = options.bodiesInMemory ?? BODIES_IN_MEMORY
  }

  get description(): string {
    return `local, journal: ${this.journal.description}`
  }

  async open(): Promise<void> {
    const state = replayState(this.queues, this.topics, (queue, record, index) => this.materialize(queue, record, index), this.journal.scan)
    const live = liveView(this.queues, this.topics, () => this.clock.now() - DEDUP_WINDOW_MS, (message) => bodyOf(message, this.journal))
    live.restore = (data, handle) => restoreCheckpoint(state, data as StoreCheckpoint, handle)
    // Bodies are not replayed: the first ones of each queue are read back below, the rest as they are taken.
    await this.journal.open((record, where, at) => replayRecord(state, record, where, at), live, { bodiesLater: true })
    const now = this.clock.now()
    // A restart releases what was in flight: one delivered maxReceives times goes on to its
    // dead-letter queue, as any release would send it (PROTOCOL.md §6.5).
    const spent: StoredMessage[] = []
    for (const queue of this.queues.values()) {
      for (const message of inPublishOrder(queue)) {
        if (this.spentAtRestart(message, now)) spent.push(message)
        else this.place(message, now)
      }
    }
    for (const message of spent) this.deadLetterSpent(message, now)
    for (const queue of this.queues.values()) loadFront(queue, this.journal, this.bodiesInMemory)
    this.scheduleSweep()
  }

  async close(): Promise<void> {
    this.stopTimers()
    for (const queue of this.queues.values()) this.cancelWaiters(queue)
    await this.journal.close()
  }

  healthy(): boolean {
    return this.journal.writable()
  }

  // ---- queues and topics -------------------------------------------------------------------

  /**
   * Answers once the record is durable (PROTOCOL.md §6 "Semantics"); a refused write undoes the
   * change, so nothing of it is left in memory.
   */
  declare(input: DeclareInput): Promise<{ created: boolean }> {
    const undo = new Undo()
    const created = this.declareNow(input, true, undo)
    return this.afterCommit(undo, { created })
  }

  /**
   * Makes or changes the queue now, its record appended (queueOrDeclare makes a missing queue
   * through it); `undo` learns how to take it back. `enforceLimit` false: a queue the broker itself
   * needs (a dead-letter move, a redrive) is made even over max-queues.
   */
  declareNow(input: DeclareInput, enforceLimit = true, undo?: Undo): boolean {
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
      const previous = existing.config
      existing.config = config
      undo?.add(() => {
        if (existing.config === config) existing.config = previous
      })
      return false
    }
    const queue = new Queue(config)
    this.queues.set(config.queue, queue)
    undo?.add(() => {
      if (this.queues.get(config.queue) !== queue) return
      // What a publish behind it put there keeps the queue, as a restart would: with the defaults.
      if (queue.size > 0) queue.config = { queue: config.queue, ...QUEUE_DEFAULTS }
      else this.queues.delete(config.queue)
    })
    return true
  }

  // Topics and bindings answer once their record is durable: a confirmed bind survives a crash.
  topic(topic: string): Promise<{ created: boolean }> {
    if (this.topics.has(topic)) return this.journal.commit().then(() => ({ created: false }))
    this.journal.append({ type: 'topic', topic })
    const bindings: Bindings = new Map()
    this.topics.set(topic, bindings)
    const undo = new Undo(() => {
      if (this.topics.get(topic) === bindings) this.topics.delete(topic)
    })
    return this.afterCommit(undo, { created: true })
  }

  /** The topic goes with its bindings; the queues it fed keep their messages. */
  dropTopic(topic: string): Promise<void> {
    const bindings = this.topics.get(topic)
    if (!bindings) throw notFound(`topic ${topic} does not exist`)
    this.journal.append({ type: 'drop-topic', topic })
    this.topics.delete(topic)
    const undo = new Undo(() => {
      if (!this.topics.has(topic)) this.topics.set(topic, bindings)
    })
    return this.afterCommit(undo, undefined)
  }

  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
    const bindings = this.topics.get(topic)
    if (!bindings) throw notFound(`topic ${topic} does not exist`)
    const undo = new Undo()
    if (!this.queues.has(queue)) this.declareNow({ queue }, true, undo)
    this.journal.append({ type: 'bind', topic, queue, ...(filter ? { filter } : {}) })
    const had = bindings.has(queue)
    const previous = bindings.get(queue)
    bindings.set(queue, filter)
    undo.add(() => {
      if (had) bindings.set(queue, previous)
      else bindings.delete(queue)
    })
    return this.afterCommit(undo, undefined)
  }

  unbind(topic: string, queue: string): Promise<void> {
    const bindings = this.topics.get(topic)
    if (!bindings) throw notFound(`topic ${topic} does not exist`)
    if (!bindings.has(queue)) throw notFound(`queue ${queue} is not bound to topic ${topic}`)
    this.journal.append({ type: 'unbind', topic, queue })
    const filter = bindings.get(queue)
    bindings.delete(queue)
    const undo = new Undo(() => {
      if (this.topics.get(topic) === bindings && !bindings.has(queue)) bindings.set(queue, filter)
    })
    return this.afterCommit(undo, undefined)
  }

  /** `value` once everything appended is durable; on a refused write, `undo` runs and the error goes on. */
  private afterCommit<T>(undo: Undo, value: T): Promise<T> {
    return this.journal.commit().then(
      () => value,
      (err: unknown) => {
        undo.run()
        throw err
      },
    )
  }

  // ---- publish -----------------------------------------------------------------------------

  publish(target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
    if (inputs.length === 1 && 'queue' in target) {
      const existing = this.queues.get(target.queue)
      if (existing && !existing.config.fifo) return this.publishOne(existing, inputs[0] as PublishInput, undefined)
      if (!existing) {
        const undo = new Undo()
        const queue = this.queueOrDeclare(target.queue, true, undo)
        if (!queue.config.fifo) return this.publishOne(queue, inputs[0] as PublishInput, undo)
        undo.run()
      }
    }
    const now = this.clock.now()
    const mids: string[] = new Array(inputs.length)
    const records: PublishRecord[] = []
    const dedupAdded: [Queue, string][] = []
    const undo = new Undo()
    try {
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i] as PublishInput
        const bound = this.targets(target, input, undo)
        // A dedupId counts per queue (PROTOCOL.md §6.10): a queue that saw it in the window gets
        // no copy; the others do. Only when every queue saw it is the publish a duplicate.
        let duplicate: string | undefined
        let queues = bound
        for (const queue of bound) {
          if (!queue.config.fifo) continue
          if (input.group === undefined) throw badRequest(`queue ${queue.name} is fifo: group is required`)
          // As on SQS FIFO: a delayed message could not keep its place in its group.
          if (input.delay !== undefined && input.delay > 0) {
            throw badRequest(`queue ${queue.name} is fifo: per-message delay is not supported (declare the queue with a delay)`)
          }
          if (input.dedupId === undefined) continue
          const seen = queue.dedup.get(input.dedupId)
          if (seen && seen.at > now - DEDUP_WINDOW_MS) {
            duplicate ??= seen.mid
            queues = queues.filter((q) => q !== queue)
          }
        }
        if (duplicate !== undefined && queues.length === 0) {
          mids[i] = duplicate
          continue
        }
        const mid = nextMessageId()
        mids[i] = mid
        const delay = input.delay ?? ('queue' in target ? (queues[0]?.config.delay ?? 0) : 0)
        const record = publishRecord(queues.map((q) => q.name), mid, input, now, delay)
        // As SNS to SQS: a fan-out without a delay of its own waits out each queue's default
        // delay, resolved now and written with the record (replay must not depend on where a
        // later declare of the queue lands in the log).
        if (input.delay === undefined && 'topic' in target && queues.some((q) => q.config.delay > 0)) {
          record.visibleAts = queues.map((q) => now + q.config.delay * 1000)
        }
        if (input.dedupId !== undefined) {
          for (const queue of queues) {
            if (!queue.config.fifo) continue
            queue.dedup.delete(input.dedupId)
            queue.dedup.set(input.dedupId, { mid, at: now })
            dedupAdded.push([queue, input.dedupId])
          }
        }
        if (queues.length === 0) continue
        this.markBacklog(record, queues)
        this.journal.append(record)
        records.push(record)
      }
    } catch (err) {
      for (const [queue, dedupId] of dedupAdded) queue.dedup.delete(dedupId)
      undo.run()
      return Promise.reject(err)
    }
    // Consumers get the message now; the publisher's confirm waits for the fsync (PROTOCOL.md §9).
    // A crash before the fsync loses only messages nobody was told were kept, as in RabbitMQ.
    const slots: BacklogSlot[] = []
    const placed = records.length === 0 ? [] : this.placeNew(records, now, slots)
    return this.journal.commit().then(
      () => {
        for (const message of placed) spill(message, this.journal, this.bodiesInMemory)
        if (slots.length > 0) this.backlogWritten(slots)
        return mids
      },
      (err: unknown) => {
        for (const [queue, dedupId] of dedupAdded) queue.dedup.delete(dedupId)
        this.withdraw(placed)
        this.withdrawSlots(slots)
        undo.run()
        throw err
      },
    )
  }

  /**
   * The common case: one message to one standard queue, as `publish` does it, without its lists.
   * `undo`: set when the queue was made for this publish (it goes again if the log refuses).
   */
  private publishOne(queue: Queue, input: PublishInput, undo: Undo | undefined): Promise<string[]> {
    const now = this.clock.now()
    const mid = nextMessageId()
    const record = publishRecord(queue.nameList, mid, input, now, input.delay ?? queue.config.delay)
    if ((queue.backlog.size > 0 || queue.readyLength >= this.highWater) && this.journal.scan !== undefined && mayJoinBacklog(record, 0)) {
      return this.publishToBacklog(queue, record, undo)
    }
    this.journal.append(record)
    const message = this.materialize(queue, record)
    record[HELD] = [message]
    this.place(message, now)
    queue.published++
    this.dispatch(queue)
    const mids = [mid]
    return this.journal.commit().then(
      () => {
        spill(message, this.journal, this.bodiesInMemory)
        return mids
      },
      (err: unknown) => {
        this.withdraw([message])
        undo?.run()
        throw err
      },
    )
  }

  /** publishOne, for a message that joins the queue's backlog: it is counted, not held. */
  private publishToBacklog(queue: Queue, record: PublishRecord, undo: Undo | undefined): Promise<string[]> {
    record.backlog = JOINS
    this.journal.append(record)
    const slot = queue.backlog.append(record.publishedAt)
    record[HELD] = [slot]
    queue.published++
    const mids = [record.mid]
    return this.journal.commit().then(
      () => {
        this.backlogWritten([slot])
        return mids
      },
      (err: unknown) => {
        this.withdrawSlots([slot])
        undo?.run()
        throw err
      },
    )
  }

  /** Backlog messages are written: a queue whose ready objects ran out meanwhile reads them ahead for its consumers. */
  private backlogWritten(slots: BacklogSlot[]): void {
    let last: Backlog | undefined
    for (const slot of slots) {
      if (slot.backlog === last) continue
      last = slot.backlog
      const queue = this.queues.get((last.owner as Queue).name)
      if (queue !== undefined && queue.backlog === last) this.dispatch(queue)
    }
  }

  private targets(target: PublishTarget, input: PublishInput, undo: Undo): Queue[] {
    if ('queue' in target) return [this.queueOrDeclare(target.queue, true, undo)]
    const bindings = this.topics.get(target.topic)
    if (!bindings) throw notFound(`topic ${target.topic} does not exist`)
    const out: Queue[] = []
    for (const [name, filter] of bindings) {
      if (matchesFilter(filter, input.attrs)) out.push(this.queueOrDeclare(name, true, undo))
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
    if (taken.length > 0 || options.wait <= 0) {
      const deliveries = taken.map((m) => toDelivery(m))
      const durable = this.deliveryDurable(taken)
      return durable === undefined ? deliveries : durable.then(() => deliveries)
    }
    return new Promise((resolve, reject) => {
      let timer: unknown
      const waiter = {
        max: options.max,
        visibilityTimeout: options.visibilityTimeout,
        owner: options.owner,
        resolve: (messages: StoredMessage[]) => {
          if (timer !== undefined) this.clock.clearTimeout(timer)
          options.signal?.removeEventListener('abort', onAbort)
          const deliveries = messages.map((m) => toDelivery(m))
          const durable = this.deliveryDurable(messages)
          if (durable === undefined) resolve(deliveries)
          else durable.then(() => resolve(deliveries), reject)
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

  /** Answered once what the release wrote (its receive count, a delay, a dead-letter move) is durable. */
  nack(receipt: string, delay: number): Promise<void> {
    const message = this.receipts.get(receipt)
    if (!message) throw unknownReceipt()
    this.releaseMessage(message, delay * 1000)
    return this.journal.commit()
  }

  touch(receipt: string, timeout: number): Promise<void> | undefined {
    const message = this.receipts.get(receipt)
    if (!message) throw unknownReceipt()
    if (timeout === 0) {
      this.releaseMessage(message, 0)
      return this.journal.commit()
    }
    message.until = this.clock.now() + timeout * 1000
    message.generation++
    this.timers.add(message.until, message, message.generation)
    return undefined
  }

  receiptQueue(receipt: string): string | undefined {
    return this.receipts.get(receipt)?.queue.name
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

  purge(name: string): Promise<number> {
    const queue = this.existing(name)
    const held = this.snapshotHeld(queue)
    const handles: LogHandle[] = held.map((h) => h.message)
    for (const handle of queue.backlog.handles()) handles.push(handle)
    this.journal.append({ type: 'purge', queue: name, [HELD]: handles })
    const backlogged = queue.backlog.size
    const backlog = queue.backlog.clear()
    const purged = this.removeAll(queue) + backlogged
    return this.afterCommit(new Undo(() => {
      this.restore(queue, held)
      queue.backlog.restore(backlog)
    }), purged)
  }

  /** Subscriptions end once the drop is durable: a refused one leaves them as they were. */
  drop(name: string): Promise<void> {
    const queue = this.existing(name)
    const held = this.snapshotHeld(queue)
    const handles: LogHandle[] = held.map((h) => h.message)
    for (const handle of queue.backlog.handles()) handles.push(handle)
    this.journal.append({ type: 'drop', queue: name, [HELD]: handles })
    const backlog = queue.backlog.clear()
    this.removeAll(queue)
    this.cancelWaiters(queue)
    this.queues.delete(name)
    const unbound: [Bindings, Record<string, string[]> | undefined][] = []
    for (const bindings of this.topics.values()) {
      if (!bindings.has(name)) continue
      unbound.push([bindings, bindings.get(name)])
      bindings.delete(name)
    }
    return this.journal.commit().then(
      () => {
        for (const sub of queue.subscriptions) sub.closed = true
        queue.subscriptions.length = 0
      },
      (err: unknown) => {
        if (!this.queues.has(name)) {
          this.queues.set(name, queue)
          for (const [bindings, filter] of unbound) if (!bindings.has(name)) bindings.set(name, filter)
          this.restore(queue, held)
          queue.backlog.restore(backlog)
        }
        throw err
      },
    )
  }

  peek(name: string, state: PeekState, max: number): Delivery[] {
    const queue = this.existing(name)
    this.expireDue(queue)
    const out: Delivery[] = []
    if (state === 'ready') {
      for (const message of queue.readyMessages()) {
        if (out.length >= max) break
        out.push(toDelivery(message, readableBody(message, this.journal)))
      }
      this.peekBacklog(queue, max, out)
      return out
    }
    const wanted = state === 'inflight' ? State.Inflight : State.Delayed
    for (const message of queue.held()) {
      if (out.length >= max) break
      if (message.state === wanted) out.push(toDelivery(message, readableBody(message, this.journal)))
    }
    return out
  }

  /** Peek's ready messages past the objects: the front of the backlog, read from the log and left there. */
  private peekBacklog(queue: Queue, max: number, out: Delivery[]): void {
    const backlog = queue.backlog
    const scan = this.journal.scan
    if (out.length >= max || backlog.count === 0 || backlog.start === undefined || scan === undefined) return
    let seen = 0
    try {
      scan(backlog.start, undefined, (record, where, at) => {
        const index = backlogIndex(record, queue.name)
        if (index < 0) return true
        seen++
        const message = messageOf(queue, record, index)
        message.where = where
        message.at = at
        out.push(toDelivery(message, { bodyJson: record.bodyJson, attrs: record.attrs }))
        return out.length < max && seen < backlog.count
      })
    } catch (err) {
      throw new HubqError('unavailable', 'messages kept in the log could not be read', { cause: err })
    }
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
    const undo = new Undo()
    const copies: [StoredMessage, StoredMessage][] = []
    const held = this.snapshotHeld(queue)
    for (const { message } of held) {
      if (message.origin === undefined || message.state === State.Inflight) continue
      // One whose body cannot be read stays (the error is logged): the copy needs it.
      const body = bodyOf(message, this.journal)
      if (body === undefined) continue
      const target = this.queueOrDeclare(message.origin, false, undo)
      const toMid = copyKey(message)
      const move: JournalRecord = { type: 'move', from: queue.name, to: target.name, mid: message.key, toMid, receives: 0 }
      this.journal.append(move)
      if (message.state === State.Ready) {
        // Ready messages sit in the deque; take them all out once, below.
        message.state = State.Gone
      } else {
        queue.delayed--
        if (holdsGroup(message)) queue.settleGroup(message)
        message.state = State.Gone
      }
      message.generation++
      queue.letGo(message)
      const copy = this.materialize(target, { ...toRecord(message, body.bodyJson, body.attrs), mid: toMid, visibleAt: 0, receives: 0, origin: undefined })
      move[HELD] = [message, copy]
      this.place(copy, now)
      copies.push([message, copy])
      touched.add(target)
      moved++
    }
    // Keep what was not moved (messages without an origin) in order.
    for (const message of queue.drainReady()) {
      if (message.state !== State.Gone) queue.pushReady(message, false)
    }
    for (const target of touched) this.dispatch(target)
    // Refused: the copies not yet taken go, and their originals come back (one already taken
    // stays where it went: at-least-once).
    undo.add(() => {
      const untaken = copies.filter(([, copy]) => copy.state === State.Ready || copy.state === State.Delayed)
      this.withdrawCopies(untaken.map(([, copy]) => copy))
      this.restore(queue, held.filter(({ message }) => untaken.some(([original]) => original === message)))
    })
    return this.afterCommit(undo, moved)
  }

  stats(name?: string): StoreStats {
    // By name (PROTOCOL.md §4.16): the map's order is creation order at run time but log order
    // after a restart, which compaction changes.
    const queues = name === undefined ? [...this.queues.values()].sort((a, b) => byName(a.name, b.name)) : [this.existing(name)]
    for (const queue of queues) this.expireDue(queue)
    const topics: TopicStats[] = []
    for (const [topic, bindings] of [...this.topics].sort(([a], [b]) => byName(a, b))) {
      topics.push({
        topic,
        bindings: [...bindings].sort(([a], [b]) => byName(a, b)).map(([queue, filter]) => (filter ? { queue, filter } : { queue })),
      })
    }
    return { queues: queues.map((q) => q.stats()), topics }
  }

  // ---- the console's and the metrics' look at one queue (inspect.ts) ------------------------

  inspect(name: string): QueueInspection {
    return inspectQueue(this.existing(name))
  }
}
