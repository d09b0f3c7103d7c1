// Retention (PROTOCOL.md §6.8) and the fifo dedup window (§6.10): what the engine's sweep ends
// once a second, and what a look at a queue (peek, stats) ends first.
import type { QueueEngine } from './engine.js'
import type { Queue } from './queue.js'

/** Fifo deduplication window (PROTOCOL.md §6.10). */
export const DEDUP_WINDOW_MS = 5 * 60 * 1000

/** Expires the queue's ready messages past its retention, wherever they stand (PROTOCOL.md §6.8). */
export function expireDue(engine: QueueEngine, queue: Queue, now = engine.clock.now()): void {
  const expire = engine.expireOne
  queue.expire(now, expire)
  // The backlog is in publish order: its expired messages are at its front, read ahead to go.
  const backlog = queue.backlog
  const cutoff = now - queue.config.retention * 1000
  while (backlog.count > 0 && backlog.oldestAt <= cutoff && engine.readAhead(queue) > 0) {
    queue.expire(now, expire)
  }
}

/** Every queue's expired messages and dedup ids go. */
export function sweep(engine: QueueEngine, now: number): void {
  for (const queue of engine.queues.values()) {
    expireDue(engine, queue, now)
    for (const [id, seen] of queue.dedup) {
      if (seen.at > now - DEDUP_WINDOW_MS) break
      queue.dedup.delete(id)
    }
  }
}
