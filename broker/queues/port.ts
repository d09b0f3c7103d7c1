// What the engine asks of the world outside it: the log it writes its records to and reads
// bodies and backlogs back from. The local store implements it over its Journal (the durable log,
// or nothing); a test implements it in a few lines.
import type { Clock } from '../../shared/clock.js'
import type { StoredMessage } from './message.js'
import type { Queue } from './queue.js'
import type { EngineRecord, MessageBody } from './records.js'

/**
 * A queue keeps the bodies of this many ready messages in memory; a message published behind
 * them keeps its body on disk only, once written, and it is read back as it is taken
 * (PROTOCOL.md §9). A deep queue then costs memory for its messages' bookkeeping, not their bodies.
 */
export const BODIES_IN_MEMORY = 10_000

export interface EnginePort {
  /**
   * Appends a record (buffered); a publish record is given its log sequence number (`seq`) here.
   * `ends`: the seq of the message a delete or an expire ends, for the log's live counts per file
   * (handed beside the record, never written). Throws HubqError('unavailable') when the log
   * cannot take it.
   */
  write(record: EngineRecord, ends?: number): void
  /** Resolves once every record written so far is durable; rejects with HubqError('unavailable'). */
  durable(): Promise<void>
  /** True when the log can read its records back: a deep standard queue keeps a backlog in it. */
  readonly backlogs: boolean
  /** The body and attrs of a message kept on disk only (by its seq), or undefined when it cannot be read. */
  readBody(seq: number): MessageBody | undefined
  /**
   * At most `max` of the queue's backlog messages, from its start, in order, as objects it does
   * not hold yet (each with its record's seq); the `advance` record that says so is written first
   * and the backlog's start moved past them, its counts taken down. None when the log cannot be
   * read or written now.
   */
  readAhead(queue: Queue, max: number): StoredMessage[]
}

export interface EngineOptions {
  port: EnginePort
  clock?: Clock
  /** Queues at most (`--max-queues`); a client creating one more gets `limit` (PROTOCOL.md §3). */
  maxQueues?: number
  /** Ready messages per queue held in memory, bodies and all (default BODIES_IN_MEMORY). */
  bodiesInMemory?: number
}
