// Deliveries whose reader went away while SQS was answering its long poll: a subscription closed
// (its connection gone, or unsubscribed) or a receive whose connection closed. SQS finishes such
// a poll anyway, counts the receive and hides the message, so giving it back would burn a delivery
// nobody saw. Each is held here instead, per queue and in arrival order, for the next reader of
// that queue in this process (a reader already waiting in a long poll is woken for it), and
// forgotten when its visibility timeout runs out: then SQS shows the message again by itself
// (PROTOCOL.md §10).
import type { Clock } from '../clock.js'
import type { Delivery } from '../protocol/types.js'

interface Orphan {
  delivery: Delivery
  timer: unknown
}

export class Orphans {
  private readonly byQueue = new Map<string, Orphan[]>()
  /** Per queue, the readers waiting in a long poll, in order; one is woken per delivery held. */
  private readonly waiting = new Map<string, Set<() => boolean>>()

  constructor(private readonly clock: Clock) {}

  /** Holds a delivery until `deadline` (clock time), when its receipt dies. */
  hold(delivery: Delivery, deadline: number): void {
    const ms = deadline - this.clock.now()
    if (ms <= 0) return
    let held = this.byQueue.get(delivery.queue)
    if (!held) this.byQueue.set(delivery.queue, (held = []))
    const orphan: Orphan = { delivery, timer: undefined }
    orphan.timer = this.clock.setTimeout(() => this.remove(delivery.queue, orphan), ms)
    held.push(orphan)
    for (const reader of this.waiting.get(delivery.queue) ?? []) {
      this.stopWaiting(delivery.queue, reader)
      if (reader()) break
    }
  }

  /**
   * Calls `wake` once, when a delivery is next held for `queue`; `wake` answers false when its
   * reader is gone, and the next one is woken instead. The result stops waiting.
   */
  onHeld(queue: string, wake: () => boolean): () => void {
    let readers = this.waiting.get(queue)
    if (!readers) this.waiting.set(queue, (readers = new Set()))
    readers.add(wake)
    return () => this.stopWaiting(queue, wake)
  }

  /** Up to `max` of a queue's orphans, oldest first; they are no longer held. */
  take(queue: string, max: number): Delivery[] {
    const held = this.byQueue.get(queue)
    if (!held) return []
    const taken = held.splice(0, max)
    if (held.length === 0) this.byQueue.delete(queue)
    for (const orphan of taken) this.clock.clearTimeout(orphan.timer)
    return taken.map((orphan) => orphan.delivery)
  }

  /** The queue was purged or dropped: its orphans are gone with it. */
  forget(queue: string): void {
    this.take(queue, Infinity)
  }

  clear(): void {
    for (const queue of [...this.byQueue.keys()]) this.forget(queue)
  }

  private stopWaiting(queue: string, wake: () => boolean): void {
    const readers = this.waiting.get(queue)
    readers?.delete(wake)
    if (readers?.size === 0) this.waiting.delete(queue)
  }

  private remove(queue: string, orphan: Orphan): void {
    const held = this.byQueue.get(queue)
    const at = held?.indexOf(orphan) ?? -1
    if (!held || at < 0) return
    held.splice(at, 1)
    if (held.length === 0) this.byQueue.delete(queue)
  }
}
