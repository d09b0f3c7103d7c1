// What the local store writes to its journal for a message, and what it hands a client.
import { randomBytes } from 'node:crypto'
import { HubqError } from '../../../shared/errors.js'
import type { Delivery, PublishInput } from '../../../shared/protocol/types.js'
import { HELD, type JournalRecord, type PublishRecord, type StoredBody } from '../journal.js'
import type { StoredMessage } from './queue.js'

/** The record of an ack. The messages go on after the literal: a computed key would take V8's slow path. */
export function deleteRecord(message: StoredMessage): JournalRecord {
  const record: JournalRecord = { type: 'delete', queue: message.queue.name, mid: message.key }
  record[HELD] = [message]
  return record
}

/** The record of a message past its queue's retention: it leaves, and is not counted as acked. */
export function expireRecord(message: StoredMessage): JournalRecord {
  const record: JournalRecord = { type: 'expire', queue: message.queue.name, mid: message.key }
  record[HELD] = [message]
  return record
}

/**
 * The key of a new copy of `message` (a dead-letter move or a redrive): its mid and a random
 * suffix, so that it differs from every other copy of the same message in the queue it goes to.
 */
export function copyKey(message: StoredMessage): string {
  return `${message.mid}/${randomBytes(6).toString('base64url')}`
}

/** The record of one published message, visible `delay` seconds after `now`. */
export function publishRecord(queues: readonly string[], mid: string, input: PublishInput, now: number, delay: number): PublishRecord {
  const record: PublishRecord = {
    type: 'publish', queues, mid, bodyJson: input.bodyJson, publishedAt: now, visibleAt: now + delay * 1000,
  }
  if (input.attrs) record.attrs = input.attrs
  if (input.group !== undefined) record.group = input.group
  if (input.dedupId !== undefined) record.dedupId = input.dedupId
  return record
}

export function unknownReceipt(): HubqError {
  return new HubqError('unknown_receipt', 'receipt is unknown, already settled, or its visibility timeout ran out')
}

/** A taken message has its body and attrs in memory; peek passes them as read from the log. */
export function toDelivery(message: StoredMessage, stored?: StoredBody): Delivery {
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
