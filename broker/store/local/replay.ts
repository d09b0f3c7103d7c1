// Rebuilding the local store from its journal after a restart, and the store's current view
// that log compaction writes back (PROTOCOL.md §9).
import { QUEUE_DEFAULTS } from '../../../shared/protocol/types.js'
import type { JournalRecord, LiveView, PublishRecord } from '../journal.js'
import { Queue, State, type StoredMessage } from './queue.js'

export type Bindings = Map<string, Record<string, string[]> | undefined>

export interface ReplayState {
  queues: Map<string, Queue>
  topics: Map<string, Bindings>
  /** Makes the message and files it in its queue; nothing is placed until replay ends. */
  materialize(queue: Queue, record: PublishRecord): StoredMessage
}

/** Applies one record written before a restart. */
export function replayRecord(state: ReplayState, record: JournalRecord): void {
  const { queues, topics } = state
  switch (record.type) {
    case 'declare': {
      const queue = queues.get(record.config.queue)
      if (queue) queue.config = record.config
      else queues.set(record.config.queue, new Queue(record.config))
      return
    }
    case 'drop':
      queues.delete(record.queue)
      for (const bindings of topics.values()) bindings.delete(record.queue)
      return
    case 'purge':
      queues.get(record.queue)?.messages.clear()
      return
    case 'publish':
      for (const name of record.queues) {
        const queue = replayQueue(queues, name)
        // A second copy of a message (rewritten by log compaction) replaces the first.
        if (!queue.messages.has(record.mid)) queue.published++
        state.materialize(queue, record)
        if (record.dedupId !== undefined) rememberDedup(queue, record.dedupId, record.mid, record.publishedAt)
      }
      return
    case 'receive': {
      const message = queues.get(record.queue)?.messages.get(record.mid)
      if (message) message.receives = record.receives
      return
    }
    case 'release': {
      const message = queues.get(record.queue)?.messages.get(record.mid)
      if (message) message.until = record.visibleAt
      return
    }
    case 'delete': {
      const queue = queues.get(record.queue)
      if (queue?.messages.delete(record.mid)) queue.acked++
      return
    }
    case 'move': {
      const from = queues.get(record.from)
      const message = from?.messages.get(record.mid)
      if (!from || !message) return
      from.messages.delete(record.mid)
      if (record.origin !== undefined) from.deadLettered++
      const to = replayQueue(queues, record.to)
      message.queue = to
      message.receives = record.receives
      message.origin = record.origin
      message.until = 0
      to.messages.set(message.mid, message)
      return
    }
    case 'topic':
      if (!topics.has(record.topic)) topics.set(record.topic, new Map())
      return
    case 'bind':
      topics.get(record.topic)?.set(record.queue, record.filter)
      return
    case 'unbind':
      topics.get(record.topic)?.delete(record.queue)
      return
    case 'dedup': {
      const queue = queues.get(record.queue)
      if (queue) rememberDedup(queue, record.dedupId, record.mid, record.at)
      return
    }
  }
}

function replayQueue(queues: Map<string, Queue>, name: string): Queue {
  let queue = queues.get(name)
  if (!queue) {
    queue = new Queue({ queue: name, ...QUEUE_DEFAULTS })
    queues.set(name, queue)
  }
  return queue
}

/**
 * The newest sighting of a dedupId wins (a compacted copy of an old message may come after a
 * newer one), re-inserted so the map stays roughly oldest first for the sweep.
 */
function rememberDedup(queue: Queue, dedupId: string, mid: string, at: number): void {
  if (!queue.config.fifo) return
  const seen = queue.dedup.get(dedupId)
  if (seen && seen.at > at) return
  queue.dedup.delete(dedupId)
  queue.dedup.set(dedupId, { mid, at })
}

/** What compaction writes back: live messages as they stand, and every declaration. */
export function liveView(queues: Map<string, Queue>, topics: Map<string, Bindings>, dedupSince: () => number): LiveView {
  return {
    snapshot: (queue, mid) => {
      const message = queues.get(queue)?.messages.get(mid)
      return message ? toRecord(message) : undefined
    },
    metadata: () => {
      const out: JournalRecord[] = []
      for (const queue of queues.values()) out.push({ type: 'declare', config: queue.config })
      for (const [topic, bindings] of topics) {
        out.push({ type: 'topic', topic })
        for (const [queue, filter] of bindings) out.push({ type: 'bind', topic, queue, ...(filter ? { filter } : {}) })
      }
      // The dedup window outlives the records that opened it (their messages may be long acked).
      const since = dedupSince()
      for (const queue of queues.values()) {
        for (const [dedupId, seen] of queue.dedup) {
          if (seen.at > since) out.push({ type: 'dedup', queue: queue.name, dedupId, mid: seen.mid, at: seen.at })
        }
      }
      return out
    },
  }
}

/** The message as a publish record (for compaction and moves). */
export function toRecord(message: StoredMessage): PublishRecord {
  const record: PublishRecord = {
    type: 'publish', queues: [message.queue.name], mid: message.mid, bodyJson: message.bodyJson,
    publishedAt: message.publishedAt, visibleAt: message.state === State.Delayed ? message.until : 0,
    receives: message.receives,
  }
  if (message.attrs) record.attrs = message.attrs
  if (message.group !== undefined) record.group = message.group
  if (message.dedupId !== undefined) record.dedupId = message.dedupId
  if (message.origin !== undefined) record.origin = message.origin
  return record
}

