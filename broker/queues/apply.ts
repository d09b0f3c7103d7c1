// The one interpreter of the engine's records: how each record the engine writes changes the
// queues' state, applied in log order at start-up (the local store's replay reads its log and
// hands the records here, store/local/replay.ts) or by any port that keeps the records (the
// engine's model test). Whatever a record means after a restart is said here and only here; the
// rules a run-time op shares with its record (a release's time, an end counted as acked or not,
// a dead-letter move's count) are the functions at the end, which the op calls on the message
// it has in hand (no lookup by key at run time).
import { QUEUE_DEFAULTS, type QueueConfig } from '../../shared/protocol/types.js'
import { Queue } from './queue.js'
import { splitKey, type StoredMessage } from './message.js'
import type { EngineRecord, MessageRecord } from './records.js'
import type { BacklogState } from './backlog.js'

/**
 * The records applied here: the engine's own, and those its adapter writes for whole-queue
 * changes and for the counters and dedup windows it writes again before old log files go.
 * `advance` is not one: reading a backlog back is the log's part (the adapter applies it).
 */
export type QueueRecord =
  | Exclude<EngineRecord, { type: 'advance' }>
  | { type: 'drop'; queue: string }
  | { type: 'purge'; queue: string }
  | { type: 'counts'; queue: string; published: number; acked: number; deadLettered: number }
  | { type: 'dedup'; queue: string; dedupId: string; mid: string; at: number }

export interface ApplyState {
  queues: Map<string, Queue>
  /**
   * Makes the copy of `record` for the queue at `index` of its queues and files it in the queue;
   * nothing is placed until the records are all applied (restore.ts, placeReplayed).
   */
  materialize(queue: Queue, record: MessageRecord, index: number): StoredMessage
  /**
   * Queue -> key -> message: the records name messages by key, which nothing needs once the
   * records are applied (the queues hold their messages in lists).
   */
  byId: Map<string, Map<string, StoredMessage>>
  /** Queues a `counts` record was applied for. */
  counted: Set<string>
}

/** A fresh state for applying records to these queues. */
export function applyState(queues: Map<string, Queue>, materialize: ApplyState['materialize']): ApplyState {
  return { queues, materialize, byId: new Map(), counted: new Set() }
}

/**
 * Applies one record written before a restart. `where` and `at` say where it is in the log, when
 * the log can read a body back from there (absent: the record carries its body).
 */
export function applyRecord(state: ApplyState, record: QueueRecord, where?: unknown, at?: number): void {
  const queues = state.queues
  switch (record.type) {
    case 'declare':
      declared(queues, record.config)
      return
    case 'drop': {
      const queue = queues.get(record.queue)
      if (queue) emptied(queue)
      queues.delete(record.queue)
      state.byId.delete(record.queue)
      state.counted.delete(record.queue)
      return
    }
    case 'purge': {
      const queue = queues.get(record.queue)
      if (queue) emptied(queue)
      state.byId.delete(record.queue)
      return
    }
    case 'publish':
      applyPublish(state, record, where, at)
      return
    case 'receive': {
      const message = state.byId.get(record.queue)?.get(record.mid)
      if (message) message.receives = record.receives
      return
    }
    case 'release': {
      const message = state.byId.get(record.queue)?.get(record.mid)
      if (message) released(message, record.visibleAt)
      return
    }
    case 'delete':
    case 'expire': {
      const mids = state.byId.get(record.queue)
      const message = mids?.get(record.mid)
      if (!mids || !message) return
      mids.delete(record.mid)
      ended(message, record.type === 'delete')
      return
    }
    case 'move':
      applyMove(state, record)
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
  }
}

function applyPublish(state: ApplyState, record: MessageRecord, where: unknown, at: number | undefined): void {
  for (let index = 0; index < record.queues.length; index++) {
    const name = record.queues[index] as string
    const queue = queueFor(state.queues, name)
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
    // The message keeps the record's seq: the log finds its data by it (and counts it live there).
    const message = state.materialize(queue, record, index)
    // Applied without its body (never empty JSON text): it is read back when wanted.
    if (at !== undefined && record.bodyJson === '') message.bodyJson = undefined
    mids.set(record.mid, message)
    if (record.dedupId !== undefined) rememberDedup(queue, record.dedupId, message.mid, record.publishedAt)
  }
}

function applyMove(state: ApplyState, record: Extract<QueueRecord, { type: 'move' }>): void {
  const mids = state.byId.get(record.from)
  const message = mids?.get(record.mid)
  if (!mids || !message) return
  mids.delete(record.mid)
  movedOut(message, record.origin !== undefined)
  const to = queueFor(state.queues, record.to)
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
}

/** The messages of `queue` by key, made on first use. */
export function idsOf(state: ApplyState, queue: string): Map<string, StoredMessage> {
  let mids = state.byId.get(queue)
  if (!mids) {
    mids = new Map()
    state.byId.set(queue, mids)
  }
  return mids
}

/** A queue a record names before any declare of it (an implicit declaration): the defaults. */
function queueFor(queues: Map<string, Queue>, name: string): Queue {
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

/** A `declare`: the queue takes the config, made with it when new. Returns the queue. */
export function declared(queues: Map<string, Queue>, config: QueueConfig): Queue {
  const queue = queues.get(config.queue)
  if (queue) {
    queue.config = config
    return queue
  }
  const made = new Queue(config)
  queues.set(config.queue, made)
  return made
}

/**
 * A `purge` or a `drop`: every message the queue holds goes, and its backlog (returned as it
 * was, for a refused op to put back).
 */
export function emptied(queue: Queue): BacklogState {
  queue.letGoAll()
  return queue.backlog.clear()
}

/** A `release` with a delay: the message is visible again at `visibleAt`. */
export function released(message: StoredMessage, visibleAt: number): void {
  message.until = visibleAt
}

/** A `delete` (acked: counted so) or an `expire` (not counted): the message leaves its queue. */
export function ended(message: StoredMessage, acked: boolean): void {
  message.queue.letGo(message)
  if (acked) message.queue.acked++
}

/** The queue a `move` leaves: the message goes, counted as dead-lettered unless a redrive moves it. */
export function movedOut(message: StoredMessage, deadLetter: boolean): void {
  message.queue.letGo(message)
  if (deadLetter) message.queue.deadLettered++
}
