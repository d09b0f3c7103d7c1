// Rebuilding the local store from its journal after a restart (the log read back, its records
// handed to the engine's interpreter, queues/apply.ts), and the store's current view that log
// compaction writes back (PROTOCOL.md §9).
import type { Journal, JournalRecord, LiveView, StoredBody } from '../journal.js'
import { backlogIndex } from '../../queues/placement.js'
import { takeCheckpoint } from './checkpoint.js'
import type { Queue } from '../../queues/queue.js'
import type { StoredMessage } from '../../queues/message.js'
import { toRecord } from '../../queues/records.js'
import { applyRecord, applyState, idsOf, type ApplyState } from '../../queues/apply.js'

export type Bindings = Map<string, Record<string, string[]> | undefined>

/** The engine's apply state (queues/apply.ts), with the store's topics and the log's reading back. */
export interface ReplayState extends ApplyState {
  topics: Map<string, Bindings>
  /** The log's reading back, for `advance` records (Journal.scan). */
  scan: Journal['scan']
}

/** A fresh state for replaying into these maps. */
export function replayState(
  queues: Map<string, Queue>, topics: Map<string, Bindings>, materialize: ReplayState['materialize'], scan?: Journal['scan'],
): ReplayState {
  return { ...applyState(queues, materialize), topics, scan }
}

/**
 * Hands one record written before a restart to the engine's interpreter (queues/apply.ts), and
 * applies the store's own: topics and bindings, and a backlog's read-ahead (`advance`), which
 * reads the log. `where` and `at` say where the record is in the log, when the log can read a
 * body back from there.
 */
export function replayRecord(state: ReplayState, record: JournalRecord, where?: unknown, at?: number): void {
  const topics = state.topics
  switch (record.type) {
    case 'topic':
      if (!topics.has(record.topic)) topics.set(record.topic, new Map())
      return
    case 'drop-topic':
      topics.delete(record.topic)
      return
    case 'bind':
      topics.get(record.topic)?.set(record.queue, record.filter)
      return
    case 'unbind':
      topics.get(record.topic)?.delete(record.queue)
      return
    case 'advance': {
      const queue = state.queues.get(record.queue)
      if (queue) replayAdvance(state, queue, record.to)
      return
    }
    case 'drop':
      applyRecord(state, record)
      for (const bindings of topics.values()) bindings.delete(record.queue)
      return
    default:
      applyRecord(state, record, where, at)
  }
}

/**
 * What a read-ahead did at run time: the queue's backlog messages before `to` become objects
 * (read back now), so that the records after it that name them find them.
 */
function replayAdvance(state: ReplayState, queue: Queue, to: { segment: number; at: number }): void {
  const backlog = queue.backlog
  const start = backlog.start
  if (backlog.count === 0 || start === undefined || state.scan === undefined) return
  const mids = idsOf(state, queue.name)
  backlog.start = state.scan(start, to, (record, where) => {
    const index = backlogIndex(record, queue.name)
    if (index < 0) return true
    const message = state.materialize(queue, record, index)
    // As every replayed message: its body is read back when wanted (bodies.ts, loadFront).
    message.bodyJson = undefined
    message.attrs = undefined
    mids.set(record.mid, message)
    backlog.taken(where)
    backlog.oldestAt = record.publishedAt
    return backlog.count > 0
  })
}

/** What compaction writes back: live messages as they stand, and every declaration. */
export function liveView(
  queues: Map<string, Queue>, topics: Map<string, Bindings>, dedupSince: () => number,
  bodyOf: (message: StoredMessage) => StoredBody | undefined,
): LiveView {
  return {
    eachHeld: (each) => {
      for (const queue of queues.values()) {
        for (const message of queue.held()) each(message.seq)
      }
    },
    checkpoint: () => takeCheckpoint(queues, topics),
    eachBacklog: (each) => {
      for (const queue of queues.values()) {
        for (const [where, count] of queue.backlog.bySegment) each(where, count)
      }
    },
    heldAt: (inFile) => {
      const out: StoredMessage[] = []
      for (const queue of queues.values()) {
        for (const message of queue.held()) if (inFile(message.seq)) out.push(message)
      }
      return out
    },
    snapshot: (held) => {
      const message = held as StoredMessage
      const stored = bodyOf(message)
      // Under the message's own seq (toRecord): the log moves its data, the message stays as it is.
      return stored === undefined ? undefined : toRecord(message, stored.bodyJson, stored.attrs)
    },
    metadata: () => {
      const out: JournalRecord[] = []
      for (const queue of queues.values()) {
        out.push({ type: 'declare', config: queue.config })
        out.push({ type: 'counts', queue: queue.name, published: queue.published, acked: queue.acked, deadLettered: queue.deadLettered })
      }
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
