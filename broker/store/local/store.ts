// The local store: the queue engine (broker/queues/) behind the MessageStore interface, every
// change it makes written to a Journal (the durable log by default, or nothing) so that a restart
// rebuilds the same state (PROTOCOL.md §6 "Semantics"). The store is the engine's adapter: it
// hands the engine its port over the journal (log-port.ts), replies once what an op wrote is
// durable, and undoes the op in the engine when the write is refused. Publishes are in
// publish.ts, whole-queue operations in admin.ts, topics in topics.ts, replay in replay.ts.
import type { Clock } from '../../../shared/clock.js'
import type { Delivery, PeekState, PublishInput, TopicStats } from '../../../shared/protocol/types.js'
import {
  byName,
  type DeclareInput, type MessageStore, type Owner, type PublishTarget, type ReceiveOptions, type StoreStats, type Subscription,
} from '../types.js'
import type { QueueInspection } from '../types.js'
import type { Journal } from '../journal.js'
import { QueueEngine } from '../../queues/engine.js'
import type { LocalSubscription } from '../../queues/message.js'
import type { Queue } from '../../queues/queue.js'
import { Undo } from '../../queues/undo.js'
import { BODIES_IN_MEMORY } from '../../queues/port.js'
import { toDelivery } from '../../queues/records.js'
import { DEDUP_WINDOW_MS, expireDue } from '../../queues/retention.js'
import { ack, nack, receiptQueue, touch } from '../../queues/settle.js'
import { cancelWaiters, receive, releaseOwner } from '../../queues/consumers.js'
import { placeReplayed } from '../../queues/restore.js'
import { LogPort } from './log-port.js'
import { inspectQueue } from './inspect.js'
import { liveView, replayRecord, replayState, type Bindings } from './replay.js'
import { restoreCheckpoint, type StoreCheckpoint } from './checkpoint.js'
import { bodyOf, loadFront } from './bodies.js'
import { publish } from './publish.js'
import { drop, peek, purge, redrive } from './admin.js'
import { bind, createTopic, dropTopic, unbind } from './topics.js'

export { BODIES_IN_MEMORY } from '../../queues/port.js'
export { RECEIVE_LOG_MS } from '../../queues/engine.js'

export interface LocalStoreOptions {
  journal: Journal
  clock?: Clock
  /** Queues at most (`--max-queues`); a client creating one more gets `limit` (PROTOCOL.md §3). */
  maxQueues?: number
  /**
   * Ready messages per queue held in memory, bodies and all (default BODIES_IN_MEMORY): on a
   * standard queue, a publish behind them joins the queue's backlog, kept in the log only and
   * read back as the queue runs low (PROTOCOL.md §9).
   */
  bodiesInMemory?: number
}

export class LocalStore implements MessageStore {
  readonly engine: QueueEngine
  readonly journal: Journal
  readonly topics = new Map<string, Bindings>()
  readonly bodiesInMemory: number
  private subscriptionSeq = 0

  constructor(options: LocalStoreOptions) {
    this.journal = options.journal
    this.bodiesInMemory = options.bodiesInMemory ?? BODIES_IN_MEMORY
    this.engine = new QueueEngine({
      port: new LogPort(options.journal),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.maxQueues !== undefined ? { maxQueues: options.maxQueues } : {}),
      bodiesInMemory: this.bodiesInMemory,
    })
  }

  /** The engine's queues, by name. */
  get queues(): Map<string, Queue> {
    return this.engine.queues
  }

  get description(): string {
    return `local, journal: ${this.journal.description}`
  }

  async open(): Promise<void> {
    const { engine, journal } = this
    const state = replayState(engine.queues, this.topics, (queue, record, index) => engine.materialize(queue, record, index), journal.scan)
    const live = liveView(engine.queues, this.topics, () => engine.clock.now() - DEDUP_WINDOW_MS, (message) => bodyOf(message, journal))
    live.restore = (data, handle, kept) => restoreCheckpoint(state, data as StoreCheckpoint, handle, kept)
    // Bodies are not replayed: the first ones of each queue are read back below, the rest as they are taken.
    await journal.open((record, where, at) => replayRecord(state, record, where, at), live, { bodiesLater: true })
    placeReplayed(engine)
    for (const queue of engine.queues.values()) loadFront(queue, journal, this.bodiesInMemory)
    engine.scheduleSweep()
  }

  async close(): Promise<void> {
    this.engine.stopTimers()
    for (const queue of this.engine.queues.values()) cancelWaiters(queue)
    await this.journal.close()
  }

  healthy(): boolean {
    return this.journal.writable()
  }

  /**
   * Answers once the record is durable (PROTOCOL.md §6 "Semantics"); a refused write undoes the
   * change, so nothing of it is left in memory.
   */
  declare(input: DeclareInput): Promise<{ created: boolean }> {
    const undo = new Undo()
    const created = this.engine.declare(input, true, undo)
    return this.afterCommit(undo, { created })
  }

  /** `value` once everything appended is durable; on a refused write, `undo` runs and the error goes on. */
  afterCommit<T>(undo: Undo, value: T): Promise<T> {
    return this.journal.commit().then(
      () => value,
      (err: unknown) => {
        undo.run()
        throw err
      },
    )
  }

  topic(topic: string): Promise<{ created: boolean }> {
    return createTopic(this, topic)
  }

  dropTopic(topic: string): Promise<void> {
    return dropTopic(this, topic)
  }

  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
    return bind(this, topic, queue, filter)
  }

  unbind(topic: string, queue: string): Promise<void> {
    return unbind(this, topic, queue)
  }

  publish(target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
    return publish(this, target, inputs)
  }

  receive(name: string, options: ReceiveOptions): Delivery[] | Promise<Delivery[]> {
    return receive(this.engine, this.engine.queueOrDeclare(name), options)
  }

  subscribe(name: string, owner: Owner, prefetch: number, deliver: (d: Delivery) => void): Subscription {
    const engine = this.engine
    const queue = engine.queueOrDeclare(name)
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
    setImmediate(() => engine.dispatch(queue))
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
        if (!sub.closed) engine.dispatch(sub.queue)
      },
    }
  }

  ack(receipts: string[]): number {
    return ack(this.engine, receipts)
  }

  nack(receipt: string, delay: number): Promise<void> {
    return nack(this.engine, receipt, delay)
  }

  touch(receipt: string, timeout: number): Promise<void> | undefined {
    return touch(this.engine, receipt, timeout)
  }

  receiptQueue(receipt: string): string | undefined {
    return receiptQueue(this.engine, receipt)
  }

  release(owner: Owner): void {
    releaseOwner(this.engine, owner)
  }

  purge(name: string): Promise<number> {
    return purge(this, name)
  }

  drop(name: string): Promise<void> {
    return drop(this, name)
  }

  peek(name: string, state: PeekState, max: number): Delivery[] {
    return peek(this, name, state, max)
  }

  redrive(name: string): Promise<number> {
    return redrive(this, name)
  }

  stats(name?: string): StoreStats {
    const engine = this.engine
    // By name (PROTOCOL.md §4.16): the map's order is creation order at run time but log order
    // after a restart, which compaction changes.
    const queues = name === undefined ? [...engine.queues.values()].sort((a, b) => byName(a.name, b.name)) : [engine.existing(name)]
    for (const queue of queues) expireDue(engine, queue)
    const topics: TopicStats[] = []
    for (const [topic, bindings] of [...this.topics].sort(([a], [b]) => byName(a, b))) {
      topics.push({
        topic,
        bindings: [...bindings].sort(([a], [b]) => byName(a, b)).map(([queue, filter]) => (filter ? { queue, filter } : { queue })),
      })
    }
    return { queues: queues.map((q) => q.stats()), topics }
  }

  /** The console's and the metrics' look at one queue (inspect.ts). */
  inspect(name: string): QueueInspection {
    return inspectQueue(this.engine.existing(name))
  }
}
