// What the local store writes down so that a restart rebuilds it. The durable log
// (store/log/) implements Journal; MemoryJournal keeps nothing.
import type { QueueConfig } from '../../shared/protocol/types.js'
import type { MessageBody, MessageRecord, Position } from '../queues/records.js'

/** A place in the log, opaque outside it: a file (the log's) and a byte offset in it. */
export interface LogHandle {
  where: unknown
  at: number
}

/** A place in the log that outlives the process: a segment's number and a byte offset in it. */
export type LogPosition = Position

/** What a message keeps on disk only in a deep queue: its body and its attrs, read back together. */
export type StoredBody = MessageBody

/**
 * What a record ends, for the log's count of live messages per file: handed to the log beside the
 * record (Journal.append), never written with it and never read back. A delete's or an expire's
 * is the seq of its message (a number: no object per ack); a purge's or drop's, every message of
 * the queue. A publish needs none (its seq is in it); a move none (the data stays where it is,
 * under the same seq).
 */
export type About = number | {
  /** The seqs of the messages it ends. */
  seqs?: readonly number[]
  /** A purged or dropped queue's backlog messages, by file: where (the log's) and how many. */
  files?: readonly (readonly [unknown, number])[]
}

/** A published message (the engine's MessageRecord, broker/queues/records.ts); `seq` is set by the log. */
export type PublishRecord = MessageRecord

export type JournalRecord =
  | { type: 'declare'; config: QueueConfig }
  | { type: 'drop'; queue: string }
  | { type: 'purge'; queue: string }
  | PublishRecord
  /** `mid` in the records below is the held message's key in its queue (queue.ts, messageKey). */
  | { type: 'receive'; queue: string; mid: string; receives: number }
  | { type: 'release'; queue: string; mid: string; visibleAt: number }
  | { type: 'delete'; queue: string; mid: string }
  /** A message past its queue's retention: it leaves as a delete does, but is not counted as acked. */
  | { type: 'expire'; queue: string; mid: string }
  /** `toMid`: the key the message takes in `to` (a new copy suffix; absent in older logs: `mid`). */
  | { type: 'move'; from: string; to: string; mid: string; toMid?: string; receives: number; origin?: string }
  | { type: 'topic'; topic: string }
  /** A topic removed with its bindings (its queues stay). */
  | { type: 'drop-topic'; topic: string }
  | { type: 'bind'; topic: string; queue: string; filter?: Record<string, string[]> }
  | { type: 'unbind'; topic: string; queue: string }
  /** A fifo dedupId still in its 5-minute window, written again when the log drops older files. */
  | { type: 'dedup'; queue: string; dedupId: string; mid: string; at: number }
  /**
   * A queue's stats counters as they stood, written before old files go: replay takes them as
   * they are, then counts the records after them, so the files that went take nothing away.
   */
  | { type: 'counts'; queue: string; published: number; acked: number; deadLettered: number }
  /**
   * The queue read ahead from its backlog: every backlog message of the queue before `to` is held
   * as an object from here on (replay reads them back), and the backlog starts at `to`.
   */
  | { type: 'advance'; queue: string; to: LogPosition }

/**
 * The record of an op whose reply waits for it (PROTOCOL.md §9): a publish, declare, drop, purge,
 * topic, bind, unbind, a redrive's move (a move without `origin`) or a nack's delay (`release`).
 * When its write fails, the op is answered `unavailable` and the record is given up: it must
 * never land in the log later. Every other record is bookkeeping nobody is answered on (deletes,
 * receive counts, dead-letter moves, counts, dedup): a failed write keeps it for the next attempt.
 */
export function isConfirmed(record: JournalRecord): boolean {
  switch (record.type) {
    case 'move':
      return record.origin === undefined
    case 'delete':
    case 'expire':
    case 'receive':
    case 'counts':
    case 'dedup':
    case 'advance':
      return false
    default:
      return true
  }
}

/** The store's current view, for compaction to rewrite live messages. */
export interface LiveView {
  /** Calls `each` with the seq of every message held now (once, after replay). */
  eachHeld(each: (seq: number) => void): void
  /** Every held message whose seq `inFile` takes (counted before any body is read); opaque to the log. */
  heldAt(inFile: (seq: number) => boolean): unknown[]
  /**
   * A message from heldAt as it stands now: a publish record carrying the message's seq, or
   * undefined when its body cannot be read (the error is logged).
   */
  snapshot(held: unknown): PublishRecord | undefined
  /** Queue configs, topics and bindings as they stand now. */
  metadata(): JournalRecord[]
  /** Calls `each` with the backlog messages of every queue, by file: where they are and how many (once, after replay). */
  eachBacklog?(each: (where: unknown, count: number) => void): void
  /**
   * A checkpoint of the store's state (log/checkpoint.ts), taken as a batch is about to be
   * written: everything appended so far is in that batch or before it. The function returned
   * runs once the batch is written, with the positions of handles and of seqs then, and gives the
   * state as JSON-able data, or undefined when it cannot be told in positions.
   */
  checkpoint?(): (position: (handle: LogHandle) => LogPosition | undefined, seqAt: (seq: number) => LogPosition | undefined) => unknown
  /**
   * Start-up from a checkpoint: the store takes back the state `checkpoint` gave, before the
   * records after it are replayed. `handle` turns a position back into a handle: undefined when
   * its file is gone; with `forward`, a gone file's place is the start of the next one still there.
   * `kept` says whether the log still holds the data of a seq.
   */
  restore?(
    data: unknown, handle: (position: LogPosition, forward?: boolean) => LogHandle | undefined, kept: (seq: number) => boolean,
  ): void
}

export interface Journal {
  readonly description: string
  /**
   * Replays every record written before, in order, then readies the journal for appends. A log
   * that can read bodies back (readBody) says where each record is: a file and a byte offset;
   * with `bodiesLater` such a publish record comes without its body (bodyJson ''), for readBody.
   */
  open(
    replay: (record: JournalRecord, where?: unknown, at?: number) => void, live: LiveView, options?: { bodiesLater?: boolean },
  ): Promise<void>
  /**
   * Writes a record (buffered); a publish record is given its seq here, a number never handed out
   * before. `about`: what the record ends (About). Throws HubqError('unavailable') when it cannot.
   */
  append(record: JournalRecord, about?: About): void
  /**
   * Resolves once everything appended so far is as durable as the policy promises
   * (group commit: one fsync covers every append waiting at that moment); rejects with
   * HubqError('unavailable') on an I/O error.
   */
  commit(): Promise<void>
  close(): Promise<void>
  writable(): boolean
  /**
   * A journal that can read a written message's body back (the log) lets the store keep deep
   * queues' bodies on disk only: the body and attrs of the publish record of `seq` (its newest
   * copy), or undefined when it cannot be read (the error is logged).
   */
  readBody?(seq: number): StoredBody | undefined
  /** Where the publish record of `seq` (its newest copy) is, once written; undefined before, or once gone. */
  locate?(seq: number): LogHandle | undefined
  /**
   * locate without making an object, for the records just written: true, and `out` set, when the
   * log knows the place without reading a file; false (nothing known) otherwise.
   */
  locateExact?(seq: number, out: LogHandle): boolean
  /**
   * A log that can read its records back lets a queue keep a backlog (PublishRecord.backlog):
   * visits the publish records written from `from` on, in log order, with their bodies, until
   * `visit` returns false, the log's written end, or `until` when given; returns where the next
   * record starts. Throws when the log cannot be read (nothing is visited twice: the caller keeps
   * its place). Also called during open's replay, for what it has replayed so far.
   */
  scan?(
    from: LogHandle, until: LogPosition | undefined, visit: (record: PublishRecord, where: unknown, at: number) => boolean,
  ): LogHandle
  /** Where a handle's file and offset are, in numbers that outlive the process (for `advance` records). */
  position?(handle: LogHandle): LogPosition
}

export class MemoryJournal implements Journal {
  readonly description = 'memory (nothing survives a restart)'
  private readonly done = Promise.resolve()
  async open(): Promise<void> {}
  append(): void {}
  commit(): Promise<void> {
    return this.done
  }
  async close(): Promise<void> {}
  writable(): boolean {
    return true
  }
}
