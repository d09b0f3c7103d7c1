// Rebuilding the local store from its journal after a restart, and the store's current view
// that log compaction writes back (PROTOCOL.md §9).
import { QUEUE_DEFAULTS } from '../../../shared/protocol/types.js'
import { HELD, type Journal, type JournalRecord, type LiveView, type PublishRecord, type StoredBody } from '../journal.js'
import { backlogIndex } from '../../queues/placement.js'
import { takeCheckpoint } from './checkpoint.js'
import { Queue } from '../../queues/queue.js'
import { splitKey, type StoredMessage } from '../../queues/message.js'
import { toRecord } from '../../queues/records.js'

export type Bindings = Map<string, Record<string, string[]> | undefined>

export interface ReplayState {
  queues: Map<string, Queue>
  topics: Map<string, Bindings>
  /**
   * Makes the copy of `record` for the queue at `index` of its queues and files it in the queue;
   * nothing is placed until replay ends.
   */
  materialize(queue: Queue, record: PublishRecord, index: number): StoredMessage
  /**
   * Replay's own index, queue -> key -> message: the records name messages by key, which nothing
   * needs once replay is over (the queues hold their messages in lists).
   */
  byId: Map<string, Map<string, StoredMessage>>
  /** Queues a `counts` record was replayed for. */
  counted: Set<string>
  /** The log's reading back, for `advance` records (Journal.scan). */
  scan: Journal['scan']
}

/** A fresh state for replaying into these maps. */
export function replayState(
  queues: Map<string, Queue>, topics: Map<string, Bindings>, materialize: ReplayState['materialize'], scan?: Journal['scan'],
): ReplayState {
  return { queues, topics, materialize, byId: new Map(), counted: new Set(), scan }
}

/**
 * Applies one record written before a restart; `where` and `at` say where it is in the log, when
 * the log can read a body back from there.
 */
export function replayRecord(state: ReplayState, record: JournalRecord, where?: unknown, at?: number): void {
  const { queues, topics } = state
  switch (record.type) {
    case 'declare': {
      const queue = queues.get(record.config.queue)
      if (queue) queue.config = record.config
      else queues.set(record.config.queue, new Queue(record.config))
      return
    }
    case 'drop':
      queues.get(record.queue)?.letGoAll()
      queues.delete(record.queue)
      state.byId.delete(record.queue)
      state.counted.delete(record.queue)
      for (const bindings of topics.values()) bindings.delete(record.queue)
      return
    case 'purge':
      queues.get(record.queue)?.letGoAll()
      queues.get(record.queue)?.backlog.clear()
      state.byId.delete(record.queue)
      return
    case 'publish':
      for (let index = 0; index < record.queues.length; index++) {
        const name = record.queues[index] as string
        const queue = replayQueue(queues, name)
        if (record.backlog?.[index] === true && where !== undefined && at !== undefined) {
          // Its queue's backlog: counted where it is, read back by a later `advance` or at run time.
          queue.published++
          queue.backlog.add(where, at, record.publishedAt)
          continue
        }
        const mids = idsOf(state, name)
        // A second copy of a message (rewritten by log compaction, `receives` set) replaces the
        // first. It was counted when first published, or in a `counts` record since; a log
        // written before those records existed counts a copy whose first is gone.
        const first = mids.get(record.mid)
        if (first) queue.letGo(first)
        else if (record.receives === undefined || !state.counted.has(name)) queue.published++
        const message = state.materialize(queue, record, index)
        // The log counts live messages per file by the file each message came from.
        message.where = where
        if (at !== undefined) {
          message.at = at
          // Replayed without its body (never empty JSON text): it is read back when wanted.
          if (record.bodyJson === '') message.bodyJson = undefined
        }
        mids.set(record.mid, message)
        if (record.dedupId !== undefined) rememberDedup(queue, record.dedupId, message.mid, record.publishedAt)
      }
      return
    case 'receive': {
      const message = state.byId.get(record.queue)?.get(record.mid)
      if (message) message.receives = record.receives
      return
    }
    case 'release': {
      const message = state.byId.get(record.queue)?.get(record.mid)
      if (message) message.until = record.visibleAt
      return
    }
    case 'delete':
    case 'expire': {
      const mids = state.byId.get(record.queue)
      const message = mids?.get(record.mid)
      if (!mids || !message) return
      mids.delete(record.mid)
      message.queue.letGo(message)
      if (record.type === 'delete') message.queue.acked++
      return
    }
    case 'move': {
      const mids = state.byId.get(record.from)
      const message = mids?.get(record.mid)
      if (!mids || !message) return
      const from = message.queue
      mids.delete(record.mid)
      from.letGo(message)
      if (record.origin !== undefined) from.deadLettered++
      const to = replayQueue(queues, record.to)
      const key = record.toMid ?? record.mid
      message.queue = to
      message.receives = record.receives
      message.origin = record.origin
      message.copy = splitKey(key).copy
      message.until = 0
      // As a map would: a copy already there under the same key is replaced (only an older log,
      // written without toMid, can name two copies alike).
      const toIds = idsOf(state, record.to)
      const there = toIds.get(key)
      if (there) to.letGo(there)
      toIds.set(key, message)
      to.hold(message)
      return
    }
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
    case 'counts': {
      const queue = queues.get(record.queue)
      if (!queue) return
      queue.published = record.published
      queue.acked = record.acked
      queue.deadLettered = record.deadLettered
      state.counted.add(record.queue)
      return
    }
    case 'dedup': {
      const queue = queues.get(record.queue)
      if (queue) rememberDedup(queue, record.dedupId, record.mid, record.at)
      return
    }
    case 'advance': {
      const queue = queues.get(record.queue)
      if (queue) replayAdvance(state, queue, record.to)
      return
    }
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
  backlog.start = state.scan(start, to, (record, where, at) => {
    const index = backlogIndex(record, queue.name)
    if (index < 0) return true
    const message = state.materialize(queue, record, index)
    message.where = where
    message.at = at
    // As every replayed message: its body is read back when wanted (bodies.ts, loadFront).
    message.bodyJson = undefined
    message.attrs = undefined
    mids.set(record.mid, message)
    backlog.taken(where)
    backlog.oldestAt = record.publishedAt
    return backlog.count > 0
  })
}

function idsOf(state: ReplayState, queue: string): Map<string, StoredMessage> {
  let mids = state.byId.get(queue)
  if (!mids) {
    mids = new Map()
    state.byId.set(queue, mids)
  }
  return mids
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
export function liveView(
  queues: Map<string, Queue>, topics: Map<string, Bindings>, dedupSince: () => number,
  bodyOf: (message: StoredMessage) => StoredBody | undefined,
): LiveView {
  return {
    eachHeld: (each) => {
      for (const queue of queues.values()) {
        for (const message of queue.held()) each(queue.name, message.key, message)
      }
    },
    checkpoint: () => takeCheckpoint(queues, topics),
    eachBacklog: (each) => {
      for (const queue of queues.values()) {
        for (const [where, count] of queue.backlog.bySegment) each(where, count)
      }
    },
    heldAt: (where) => {
      const out: StoredMessage[] = []
      for (const queue of queues.values()) {
        for (const message of queue.held()) if (message.where === where) out.push(message)
      }
      return out
    },
    snapshot: (handle) => {
      const message = handle as StoredMessage
      const stored = bodyOf(message)
      if (stored === undefined) return undefined
      const record: PublishRecord = toRecord(message, stored.bodyJson, stored.attrs)
      record[HELD] = [message]
      return record
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
