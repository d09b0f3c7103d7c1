// What the console and the metrics read of a local queue beyond its counts (PROTOCOL.md §7.4):
// its settings, the publish time of its oldest ready message and its subscriptions. Reads only;
// the cost is one look per fifo group, none per message.
import type { QueueInspection } from '../types.js'
import type { Queue } from '../../queues/queue.js'

export function inspectQueue(queue: Queue): QueueInspection {
  // With none in memory, the backlog's front (publish order: no ready object is older than it).
  const backlog = queue.backlog
  const oldestAt = queue.oldestReady()?.publishedAt ?? (backlog.count > 0 ? backlog.oldestAt : undefined)
  return {
    config: { ...queue.config },
    ...(oldestAt !== undefined ? { oldestReadyAt: oldestAt } : {}),
    consumers: queue.subscriptions.map((sub) => ({ subscription: sub.id, owner: sub.owner.id, prefetch: sub.prefetch, unacked: sub.unacked })),
  }
}
