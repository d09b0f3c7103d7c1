// The reference model of the queue engine's model test (model.test.ts): the contract's semantics
// (PROTOCOL.md §6) over a standard queue with retention, a fifo queue with groups and a dedup
// window, both with maxReceives and one dead-letter queue; and the port without a log the
// engine runs on there, which keeps what the engine writes for a restart to read back.
import type { EnginePort } from '../../broker/queues/port.js'
import type { EngineRecord } from '../../broker/queues/records.js'
import type { QueueRecord } from '../../broker/queues/apply.js'

export const WORK = 'work'
export const FIFO = 'orders'
export const DEAD = 'dead'
export const QUEUES = [WORK, FIFO, DEAD]
export const VISIBILITY_MS = 30_000
export const MAX_RECEIVES: Record<string, number> = { [WORK]: 3, [FIFO]: 2 }
/** The standard queue's retention: a few minutes, so that runs reach it. */
export const RETENTION_MS = 240_000
export const OWNER = { id: 1 }

export interface ModelMessage {
  queue: string
  body: number
  group: string | undefined
  publishedAt: number
  /** Publish order within the model (ids grow with it). */
  seq: number
  receives: number
  /** Epoch ms it becomes visible (delay, nack delay); in flight until `until` when `receipt` is set. */
  visibleAt: number
  receipt?: string
  until?: number
}

/** How often each rule came into play over all runs: a model that never reaches one tests nothing of it. */
export const reached = { deadLettered: 0, expired: 0, duplicates: 0, groupsHeld: 0 }

export class Model {
  readonly messages = new Map<string, ModelMessage>()
  /** dedupId -> the mid it was first published under and when (the fifo queue's window). */
  readonly dedup = new Map<string, { mid: string; at: number }>()
  readonly receipts: string[] = []
  private seq = 0
  constructor(public now: number) {}

  nextSeq(): number {
    return ++this.seq
  }

  /** Ready messages past the standard queue's retention are gone (in flight or delayed ones wait until ready). */
  expire(): void {
    for (const [mid, m] of this.messages) {
      if (m.queue === WORK && m.receipt === undefined && m.visibleAt <= this.now && m.publishedAt <= this.now - RETENTION_MS) {
        this.messages.delete(mid)
        reached.expired++
      }
    }
  }

  inQueue(queue: string): ModelMessage[] {
    return [...this.messages.values()].filter((m) => m.queue === queue)
  }

  visible(queue: string): ModelMessage[] {
    return this.inQueue(queue).filter((m) => m.receipt === undefined && m.visibleAt <= this.now)
  }

  /** The fifo queue's groups that may deliver now, each by its first message: none out, and the first visible. */
  deliverableHeads(): Map<string, ModelMessage> {
    const byGroup = new Map<string, ModelMessage[]>()
    for (const m of this.inQueue(FIFO)) {
      const list = byGroup.get(m.group as string) ?? []
      list.push(m)
      byGroup.set(m.group as string, list)
    }
    const heads = new Map<string, ModelMessage>()
    for (const [group, list] of byGroup) {
      if (list.some((m) => m.receipt !== undefined)) continue
      const first = list.sort((a, b) => a.seq - b.seq)[0] as ModelMessage
      if (first.visibleAt <= this.now) heads.set(group, first)
      // Held back by its first message's nack delay, with a later one visible behind it.
      else if (list.some((m) => m.visibleAt <= this.now)) reached.groupsHeld++
    }
    return heads
  }

  counts(queue: string): { ready: number; inflight: number; delayed: number } {
    let ready = 0
    let inflight = 0
    let delayed = 0
    for (const m of this.inQueue(queue)) {
      if (m.receipt !== undefined) inflight++
      else if (m.visibleAt > this.now) delayed++
      else ready++
    }
    return { ready, inflight, delayed }
  }

  byReceipt(receipt: string): [string, ModelMessage] | undefined {
    for (const entry of this.messages) if (entry[1].receipt === receipt) return entry
    return undefined
  }

  /** A release (nack, timeout): back to its queue, or on to the dead letters at maxReceives. */
  release(message: ModelMessage, delayMs: number): void {
    message.receipt = undefined
    message.until = undefined
    const max = MAX_RECEIVES[message.queue]
    if (max !== undefined && message.receives >= max) {
      message.queue = DEAD
      message.visibleAt = 0
      reached.deadLettered++
    } else {
      message.visibleAt = this.now + delayMs
    }
  }

  advance(ms: number): void {
    this.now += ms
    for (const m of this.messages.values()) {
      if (m.receipt !== undefined && (m.until as number) <= this.now) this.release(m, 0)
    }
  }
}

/**
 * The port without a log: every record kept in memory, in order, as the log would keep it (its
 * JSON text read back: nothing written can change afterwards), every write durable at once.
 */
export class MemoryPort implements EnginePort {
  readonly backlogs = false
  readonly records: QueueRecord[] = []
  write(record: EngineRecord): void {
    this.records.push(JSON.parse(JSON.stringify(record)) as QueueRecord)
  }
  held(): void {}
  durable(): Promise<void> {
    return Promise.resolve()
  }
  readBody(): undefined {
    return undefined
  }
  readAhead(): [] {
    return []
  }
}
