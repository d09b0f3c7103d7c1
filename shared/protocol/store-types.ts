// The values that cross the MessageStore seam (broker/store/types.ts, PROTOCOL.md §4): what a
// declare, publish or receive takes, a subscription, the connection deliveries go to, what stats
// and inspect answer. They live in shared/ because the SNS/SQS core (shared/sqs/) speaks them
// too, behind the broker's cloud backend and the clients' sqs:// mode alike.
import type { QueueConfig, QueueStats, TopicStats } from './types.js'

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
