// The records the engine writes for what it changes (the log's JournalRecord has these shapes:
// the engine declares them rather than import the store), the ones it builds for a message,
// and what it hands a client for one.
import { randomBytes } from 'node:crypto'
import { HubqError } from '../../shared/errors.js'
import type { Attrs, Delivery, PublishInput, QueueConfig } from '../../shared/protocol/types.js'
import { State, StoredMessage, splitKey } from './message.js'
import type { Queue } from './queue.js'

/** A published message: one record for every queue it went to (the log's PublishRecord). */
export interface MessageRecord {
  type: 'publish'
  /** Every queue the message went to: one record, so a fan-out is all or nothing. */
  queues: readonly string[]
  mid: string
  /**
   * Its log sequence number: handed out by the log as the record is appended (never reused), and
   * kept by every copy of the message (a compacted copy, a dead-letter move) as long as it lives.
   */
  seq?: number
  bodyJson: string
  attrs?: Attrs
  publishedAt: number
  /** Epoch ms before which it is not delivered (delay). */
  visibleAt: number
  group?: string
  dedupId?: string
  /** Set when a live message is rewritten by compaction. */
  receives?: number
  /** The queue a dead-lettered message died in. */
  origin?: string
  /**
   * A topic fan-out with no delay of its own waits out each queue's default delay: the time each
   * copy becomes visible, in the order of `queues`, resolved when it was published (replay must
   * not depend on where a later declare landed in the log).
   */
  visibleAts?: readonly number[]
  /** Written by older versions instead of visibleAts: resolved against the queue's delay at replay. */
  queueDelay?: boolean
  /**
   * In the order of `queues`: true where the message joins that queue's backlog, a range of the
   * log its queue reads ahead from instead of holding an object per message (backlog.ts).
   */
  backlog?: readonly boolean[]
}

/** A place in the log, in numbers that outlive the process (the log's LogPosition). */
export interface Position {
  segment: number
  at: number
}

/** Every record the engine writes. `mid` names the held message by its key (message.ts, messageKey). */
export type EngineRecord =
  | MessageRecord
  | { type: 'declare'; config: QueueConfig }
  | { type: 'receive'; queue: string; mid: string; receives: number }
  | { type: 'release'; queue: string; mid: string; visibleAt: number }
  | { type: 'delete'; queue: string; mid: string }
  | { type: 'expire'; queue: string; mid: string }
  | { type: 'move'; from: string; to: string; mid: string; toMid?: string; receives: number; origin?: string }
  | { type: 'advance'; queue: string; to: Position }

/** A message's body and attrs, as the log keeps them for one whose body is on disk only. */
export interface MessageBody {
  bodyJson: string
  attrs: Attrs | undefined
}

/** The record of an ack. */
export function deleteRecord(message: StoredMessage): EngineRecord {
  return { type: 'delete', queue: message.queue.name, mid: message.key }
}

/** The record of a message past its queue's retention: it leaves, and is not counted as acked. */
export function expireRecord(message: StoredMessage): EngineRecord {
  return { type: 'expire', queue: message.queue.name, mid: message.key }
}

/**
 * The key of a new copy of `message` (a dead-letter move or a redrive): its mid and a random
 * suffix, so that it differs from every other copy of the same message in the queue it goes to.
 */
export function copyKey(message: StoredMessage): string {
  return `${message.mid}/${randomBytes(6).toString('base64url')}`
}

/** The record of one published message, visible `delay` seconds after `now`. */
export function publishRecord(queues: readonly string[], mid: string, input: PublishInput, now: number, delay: number): MessageRecord {
  const record: MessageRecord = {
    type: 'publish', queues, mid, bodyJson: input.bodyJson, publishedAt: now, visibleAt: now + delay * 1000,
  }
  if (input.attrs) record.attrs = input.attrs
  if (input.group !== undefined) record.group = input.group
  if (input.dedupId !== undefined) record.dedupId = input.dedupId
  return record
}

/**
 * The message as a publish record (for compaction and moves), with its body and attrs (which may
 * be on disk only); its `mid` is the message's key, so a copy stays apart from its siblings.
 */
export function toRecord(message: StoredMessage, bodyJson: string, attrs = message.attrs): MessageRecord {
  const record: MessageRecord = {
    type: 'publish', queues: [message.queue.name], mid: message.key, seq: message.seq, bodyJson,
    publishedAt: message.publishedAt, visibleAt: message.state === State.Delayed ? message.until : 0,
    receives: message.receives,
  }
  if (attrs) record.attrs = attrs
  if (message.group !== undefined) record.group = message.group
  if (message.dedupId !== undefined) record.dedupId = message.dedupId
  if (message.origin !== undefined) record.origin = message.origin
  return record
}

export function unknownReceipt(): HubqError {
  return new HubqError('unknown_receipt', 'receipt is unknown, already settled, or its visibility timeout ran out')
}

/** A taken message has its body and attrs in memory; peek passes them as read from the log. */
export function toDelivery(message: StoredMessage, stored?: MessageBody): Delivery {
  const delivery: Delivery = {
    mid: message.mid,
    receipt: message.receipt ?? '',
    queue: message.queue.name,
    bodyJson: stored ? stored.bodyJson : message.bodyJson as string,
    receives: message.receives,
    publishedAt: message.publishedAt,
  }
  const attrs = stored ? stored.attrs : message.attrs
  if (attrs) delivery.attrs = attrs
  if (message.group !== undefined) delivery.group = message.group
  return delivery
}

/** The copy of `record` for the queue at `index` of its queues, not yet held by it. */
export function messageOf(queue: Queue, record: MessageRecord, index: number): StoredMessage {
  const visibleAt = record.visibleAts !== undefined
    ? (record.visibleAts[index] as number)
    : record.queueDelay ? record.publishedAt + queue.config.delay * 1000 : record.visibleAt
  // Only a copy (a rewritten dead-letter move or redrive) has a '/' in its key.
  const { mid, copy } = record.mid.length > 36 ? splitKey(record.mid) : { mid: record.mid, copy: undefined }
  return new StoredMessage(
    mid, record.seq ?? 0, queue, record.bodyJson, record.publishedAt, record.receives ?? 0, visibleAt,
    record.attrs, record.group, record.dedupId, record.origin, copy,
  )
}
