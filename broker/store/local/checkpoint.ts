// The local store's part of a log checkpoint (store/log/checkpoint.ts): what replay would rebuild
// from the records before it. Queue settings and counters, dedup windows, topics and bindings,
// each queue's backlog (where it starts, how many, how many per file) and every message held as
// an object, with its seq (the log finds its body by it when wanted). A message in flight is kept
// as ready: a restart releases it anyway.
import type { LogHandle, LogPosition } from '../journal.js'
import type { QueueConfig } from '../../../shared/protocol/types.js'
import { Queue } from '../../queues/queue.js'
import { State, StoredMessage, splitKey } from '../../queues/message.js'
import type { BacklogSlot } from '../../queues/backlog.js'
import type { Bindings, ReplayState } from './replay.js'

/** key, seq, publishedAt, receives, until (0 unless delayed), group, dedupId, origin. */
type MessageEntry = [string, number, number, number, number, string | null, string | null, string | null]

interface QueueEntry {
  config: QueueConfig
  published: number
  acked: number
  deadLettered: number
  dedup: [string, string, number][]
  backlog?: { start: LogPosition; count: number; oldestAt: number; segments: [number, number][] }
  messages: MessageEntry[]
}

export interface StoreCheckpoint {
  queues: QueueEntry[]
  topics: [string, [string, Record<string, string[]> | null][]][]
}

type Position = (handle: LogHandle) => LogPosition | undefined
type SeqAt = (seq: number) => LogPosition | undefined

/**
 * The state now (LiveView.checkpoint); the function returned tells it in positions once the batch
 * being written has landed (undefined when a message has no place in the log: nothing is written).
 */
export function takeCheckpoint(
  queues: Map<string, Queue>, topics: Map<string, Bindings>,
): (position: Position, seqAt: SeqAt) => StoreCheckpoint | undefined {
  const taken = [...queues.values()].map((queue) => {
    const held: { message: StoredMessage; key: string; seq: number; publishedAt: number; receives: number; until: number }[] = []
    for (const message of queue.held()) {
      held.push({
        message, key: message.key, seq: message.seq, publishedAt: message.publishedAt, receives: message.receives,
        until: message.state === State.Delayed ? message.until : 0,
      })
    }
    const backlog = queue.backlog
    return {
      queue,
      config: queue.config,
      published: queue.published,
      acked: queue.acked,
      deadLettered: queue.deadLettered,
      dedup: [...queue.dedup].map(([id, seen]): [string, string, number] => [id, seen.mid, seen.at]),
      held,
      start: backlog.start,
      count: backlog.count,
      oldestAt: backlog.oldestAt,
      bySegment: [...backlog.bySegment],
      slots: backlog.waiting(),
    }
  })
  const bound = [...topics].map(([topic, bindings]): StoreCheckpoint['topics'][number] => [topic, [...bindings].map(([queue, filter]) => [queue, filter ?? null])])
  return (position, seqAt) => {
    const out: QueueEntry[] = []
    for (const q of taken) {
      const messages: MessageEntry[] = []
      for (const { message, key, seq, publishedAt, receives, until } of q.held) {
        messages.push([key, seq, publishedAt, receives, until, message.group ?? null, message.dedupId ?? null, message.origin ?? null])
      }
      const entry: QueueEntry = { config: q.config, published: q.published, acked: q.acked, deadLettered: q.deadLettered, dedup: q.dedup, messages }
      let count = q.count
      let start = q.start === undefined || count === 0 ? undefined : position(q.start)
      let oldestAt = q.oldestAt
      const segments = new Map<number, number>()
      for (const [where, n] of q.bySegment) {
        const at = position({ where, at: 0 })
        if (at === undefined) return undefined
        segments.set(at.segment, n)
      }
      // Appended before the state was taken, written with the batch since: they are in it.
      for (const slot of q.slots as BacklogSlot[]) {
        const at = seqAt(slot.seq)
        if (at === undefined) return undefined
        if (count === 0) {
          start = at
          oldestAt = slot.publishedAt
        }
        count++
        segments.set(at.segment, (segments.get(at.segment) ?? 0) + 1)
      }
      if (count > 0 && start !== undefined) entry.backlog = { start, count, oldestAt, segments: [...segments] }
      out.push(entry)
    }
    return { queues: out, topics: bound }
  }
}

/**
 * Start-up from a checkpoint (LiveView.restore): the queues, their messages (bodies left in the
 * log) and backlogs, and the topics, as they stood; replay's index learns every message's key.
 * A message whose file is gone was ended or rewritten by a record after the checkpoint: left out.
 */
export function restoreCheckpoint(
  state: ReplayState, data: StoreCheckpoint, handle: (position: LogPosition, forward?: boolean) => LogHandle | undefined,
  kept: (seq: number) => boolean,
): void {
  const { queues, topics } = state
  for (const entry of data.queues) {
    const name = entry.config.queue
    const queue = new Queue(entry.config)
    queues.set(name, queue)
    queue.published = entry.published
    queue.acked = entry.acked
    queue.deadLettered = entry.deadLettered
    state.counted.add(name)
    for (const [dedupId, mid, at] of entry.dedup) queue.dedup.set(dedupId, { mid, at })
    let ids = state.byId.get(name)
    if (!ids) state.byId.set(name, (ids = new Map()))
    for (const [key, seq, publishedAt, receives, until, group, dedupId, origin] of entry.messages) {
      if (!kept(seq)) continue
      const { mid, copy } = splitKey(key)
      const message = new StoredMessage(
        mid, seq, queue, undefined, publishedAt, receives, until, undefined, group ?? undefined, dedupId ?? undefined, origin ?? undefined, copy,
      )
      queue.hold(message)
      ids.set(key, message)
    }
    const backlog = entry.backlog
    if (backlog !== undefined) {
      const start = handle(backlog.start, true)
      let count = 0
      for (const [segment, n] of backlog.segments) {
        const where = handle({ segment, at: 0 })
        if (where === undefined) continue
        queue.backlog.bySegment.set(where.where, n)
        count += n
      }
      if (count > 0 && start !== undefined) {
        queue.backlog.start = start
        queue.backlog.count = count
        queue.backlog.oldestAt = backlog.oldestAt
      } else {
        queue.backlog.bySegment.clear()
      }
    }
  }
  for (const [topic, bound] of data.topics) {
    const bindings: Bindings = new Map()
    for (const [queue, filter] of bound) bindings.set(queue, filter ?? undefined)
    topics.set(topic, bindings)
  }
}
