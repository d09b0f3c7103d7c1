// The one seam between the protocol and where messages live (PROTOCOL.md §4). The local store
// (memory or the durable log behind it) and the SNS/SQS adapter both implement it.
import type {
  Delivery, PeekState, PublishInput, QueueConfig, QueueStats, TopicStats,
} from '../../shared/protocol/types.js'

export type Awaitable<T> = T | Promise<T>

/**
 * The order `stats` lists queues, topics and a topic's bindings in, on every backend (PROTOCOL.md
 * §4.16): code-unit order, the same in every locale and before and after a restart.
 */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The connection a delivery went to; its unacked messages are released when it closes. */
export interface Owner {
  readonly id: number
}

export type DeclareInput = Partial<Omit<QueueConfig, 'queue'>> & { queue: string }

export interface ReceiveOptions {
  max: number
  /** Long-poll seconds. */
  wait: number
  visibilityTimeout?: number
  owner: Owner
  /** Aborted when the connection closes before the wait ends. */
  signal?: AbortSignal
}

export interface Subscription {
  readonly id: string
  /** Stops pushing; messages already delivered stay in flight until acked or released. */
  close(): void
  /** Holds pushes back (the connection's write buffer is full) until `resume`. */
  pause(): void
  resume(): void
}

export type PublishTarget = { queue: string } | { topic: string }

export interface StoreStats {
  queues: QueueStats[]
  topics: TopicStats[]
}

/** One subscription on a queue, as the console and the metrics show it (PROTOCOL.md §7.4). */
export interface ConsumerInfo {
  subscription: string
  /** The connection's Owner id. */
  owner: number
  prefetch: number
  /** Deliveries pushed to it and not yet settled; undefined when the backend cannot tell. */
  unacked?: number
}

/** What a queue's page shows beyond its counts: its settings, its oldest ready message, its consumers. */
export interface QueueInspection {
  /** The settings the backend knows; cloud mode may leave some out. */
  config: Partial<QueueConfig> & { queue: string }
  /** publishedAt of the oldest ready message; undefined when none is ready or the backend cannot tell. */
  oldestReadyAt?: number
  consumers: ConsumerInfo[]
}

export interface MessageStore {
  /** One line for the first log line: which store, where, and how durable. */
  readonly description: string
  open(): Promise<void>
  close(): Promise<void>
  /** False when the store cannot take writes (disk full, backend down). */
  healthy(): boolean

  declare(input: DeclareInput): Awaitable<{ created: boolean }>
  publish(target: PublishTarget, inputs: PublishInput[]): Awaitable<string[]>
  receive(queue: string, options: ReceiveOptions): Awaitable<Delivery[]>
  subscribe(queue: string, owner: Owner, prefetch: number, deliver: (d: Delivery) => void): Awaitable<Subscription>
  /** Acks what it knows; a single unknown receipt is `unknown_receipt`. Returns the count acked. */
  ack(receipts: string[]): Awaitable<number>
  nack(receipt: string, delay: number): Awaitable<void>
  touch(receipt: string, timeout: number): Awaitable<void>
  /**
   * The queue a live receipt was delivered from, or undefined for one unknown, settled or timed
   * out: what an `ack`, `nack` or `touch` needs the right on (PROTOCOL.md §7.3). Synchronous, as
   * the authorization that asks runs before the op.
   */
  receiptQueue(receipt: string): string | undefined
  purge(queue: string): Awaitable<number>
  drop(queue: string): Awaitable<void>
  peek(queue: string, state: PeekState, max: number): Awaitable<Delivery[]>
  redrive(queue: string): Awaitable<number>
  topic(topic: string): Awaitable<{ created: boolean }>
  bind(topic: string, queue: string, filter?: Record<string, string[]>): Awaitable<void>
  unbind(topic: string, queue: string): Awaitable<void>
  stats(queue?: string): Awaitable<StoreStats>
  /** A queue's settings, oldest ready message and consumers (the console, the metrics); not_found for none. */
  inspect(queue: string): Awaitable<QueueInspection>
  /** The connection closed: its unacked deliveries become visible again at once. */
  release(owner: Owner): void
}
