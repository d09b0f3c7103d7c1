// The one seam between the protocol and where messages live (PROTOCOL.md §4). The local store
// (memory or the durable log behind it) and the SNS/SQS adapter both implement it.
import type { Delivery, PeekState, PublishInput } from '../../shared/protocol/types.js'
import type {
  DeclareInput, Owner, PublishTarget, QueueInspection, ReceiveOptions, StoreStats, Subscription,
} from '../../shared/protocol/store-types.js'

export {
  byName,
  type ConsumerInfo, type DeclareInput, type Owner, type PublishTarget, type QueueInspection, type ReceiveOptions, type StoreStats,
  type Subscription,
} from '../../shared/protocol/store-types.js'

export type Awaitable<T> = T | Promise<T>

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
  /** Removes a topic and its bindings (not_found for none); the queues stay. */
  dropTopic(topic: string): Awaitable<void>
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
