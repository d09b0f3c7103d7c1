// GET /api/stats: what the live page shows, as JSON. Rates are left to the page (the difference
// of two polls), so the broker keeps no history; the oldest ready message's age costs one
// peek of one message per non-empty queue.
import type { Clock } from '../../shared/clock.js'
import type { QueueStats, TopicStats } from '../../shared/protocol/types.js'
import type { MessageStore } from '../store/types.js'
import { checkHealth, type Health } from './health.js'

export interface LiveStatsSource {
  readonly store: MessageStore
  readonly accepting: boolean
  readonly connections: number
}

export interface LiveQueueStats extends QueueStats {
  /** Seconds since the oldest ready message was published; null when none is ready. */
  oldestReadyAge: number | null
}

export interface LiveStats {
  version: string
  /** Milliseconds since the epoch on the broker's clock, so the page can compute rates. */
  now: number
  uptime: number
  connections: number
  health: Health
  queues: LiveQueueStats[]
  topics: TopicStats[]
}

export async function liveStats(broker: LiveStatsSource, clock: Clock, startedAt: number, version: string): Promise<LiveStats> {
  const stats = await broker.store.stats()
  const now = clock.now()
  const queues = await Promise.all(stats.queues.map(async (q) => ({ ...q, oldestReadyAge: await oldestReadyAge(broker.store, q, now) })))
  queues.sort((a, b) => a.queue.localeCompare(b.queue))
  const topics = [...stats.topics].sort((a, b) => a.topic.localeCompare(b.topic))
  return {
    version,
    now,
    uptime: Math.max(0, Math.floor((now - startedAt) / 1000)),
    connections: broker.connections,
    health: checkHealth(broker),
    queues,
    topics,
  }
}

async function oldestReadyAge(store: MessageStore, queue: QueueStats, now: number): Promise<number | null> {
  if (queue.ready === 0) return null
  try {
    // Ready messages come out in publish order (a redelivery goes to the front, and it is older).
    const [oldest] = await store.peek(queue.queue, 'ready', 1)
    return oldest ? Math.max(0, (now - oldest.publishedAt) / 1000) : null
  } catch {
    return null // dropped between stats() and peek(): nothing to show
  }
}
