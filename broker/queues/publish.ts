// What the engine decides for a publish (PROTOCOL.md §6.1, §6.10): which queues get a copy (a fifo
// queue that saw the dedupId in its window gets none), the fifo rules, each message's record
// (written through the port) and, for one message to one standard queue, whether it joins the
// queue's backlog. The store commits and replies; placement.ts puts the copies in their queues.
import { badRequest } from '../../shared/errors.js'
import type { PublishInput } from '../../shared/protocol/types.js'
import type { QueueEngine } from './engine.js'
import type { Queue } from './queue.js'
import type { StoredMessage } from './message.js'
import type { BacklogSlot } from './backlog.js'
import { nextMessageId } from './message-ids.js'
import { publishRecord, type MessageRecord } from './records.js'
import { DEDUP_WINDOW_MS } from './retention.js'
import { markBacklog, mayJoinBacklog } from './placement.js'

/** The backlog marks of a record to one queue whose message joins its backlog (never changed). */
const JOINS: readonly boolean[] = Object.freeze([true])

export interface Accepted {
  /** One per input: its new mid, or for a duplicate the mid it was first published under. */
  mids: string[]
  /** The records written, one per message not a duplicate everywhere. */
  records: MessageRecord[]
  /** The dedupIds this publish entered, by queue: they go again when the log refuses it. */
  dedupAdded: [Queue, string][]
}

/**
 * Validates each message against its queues (`targetsOf`), drops the copies a fifo queue has seen
 * in its dedup window, and writes a record per message left. `fromTopic`: a fan-out, whose
 * messages wait out each queue's own delay. Throws on the first message refused (its dedupIds
 * taken back); the records written before it are the caller's to give up.
 */
export function accept(
  engine: QueueEngine, inputs: PublishInput[], targetsOf: (input: PublishInput) => Queue[], fromTopic: boolean, now: number,
): Accepted {
  const mids: string[] = new Array(inputs.length)
  const records: MessageRecord[] = []
  const dedupAdded: [Queue, string][] = []
  try {
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as PublishInput
      const bound = targetsOf(input)
      // A dedupId counts per queue (PROTOCOL.md §6.10): a queue that saw it in the window gets
      // no copy; the others do. Only when every queue saw it is the publish a duplicate.
      let duplicate: string | undefined
      let queues = bound
      for (const queue of bound) {
        if (!queue.config.fifo) continue
        if (input.group === undefined) throw badRequest(`queue ${queue.name} is fifo: group is required`)
        // As on SQS FIFO: a delayed message could not keep its place in its group.
        if (input.delay !== undefined && input.delay > 0) {
          throw badRequest(`queue ${queue.name} is fifo: per-message delay is not supported (declare the queue with a delay)`)
        }
        if (input.dedupId === undefined) continue
        const seen = queue.dedup.get(input.dedupId)
        if (seen && seen.at > now - DEDUP_WINDOW_MS) {
          duplicate ??= seen.mid
          queues = queues.filter((q) => q !== queue)
        }
      }
      if (duplicate !== undefined && queues.length === 0) {
        mids[i] = duplicate
        continue
      }
      const mid = nextMessageId()
      mids[i] = mid
      const delay = input.delay ?? (fromTopic ? 0 : (queues[0]?.config.delay ?? 0))
      const record = publishRecord(queues.map((q) => q.name), mid, input, now, delay)
      // As SNS to SQS: a fan-out without a delay of its own waits out each queue's default
      // delay, resolved now and written with the record (replay must not depend on where a
      // later declare of the queue lands in the log).
      if (input.delay === undefined && fromTopic && queues.some((q) => q.config.delay > 0)) {
        record.visibleAts = queues.map((q) => now + q.config.delay * 1000)
      }
      if (input.dedupId !== undefined) {
        for (const queue of queues) {
          if (!queue.config.fifo) continue
          queue.dedup.delete(input.dedupId)
          queue.dedup.set(input.dedupId, { mid, at: now })
          dedupAdded.push([queue, input.dedupId])
        }
      }
      if (queues.length === 0) continue
      markBacklog(engine, record, queues)
      engine.port.write(record)
      records.push(record)
    }
  } catch (err) {
    forgetDedup(dedupAdded)
    throw err
  }
  return { mids, records, dedupAdded }
}

/** The log refused the publish: the dedupIds it entered are forgotten. */
export function forgetDedup(dedupAdded: [Queue, string][]): void {
  for (const [queue, dedupId] of dedupAdded) queue.dedup.delete(dedupId)
}

/**
 * The common case, one message to one standard queue, without accept's lists: its record is
 * written and it is placed and dispatched, or it joins the queue's backlog (counted, not held).
 * Returns the message or the backlog slot; the mid is the record's.
 */
export function publishOne(engine: QueueEngine, queue: Queue, record: MessageRecord, now: number): StoredMessage | BacklogSlot {
  const port = engine.port
  if ((queue.backlog.size > 0 || queue.readyLength >= engine.highWater) && port.backlogs && mayJoinBacklog(record, 0)) {
    record.backlog = JOINS
    port.write(record)
    const slot = queue.backlog.append(record.publishedAt, record.seq ?? 0)
    queue.published++
    return slot
  }
  port.write(record)
  const message = engine.materialize(queue, record)
  engine.place(message, now)
  queue.published++
  engine.dispatch(queue)
  return message
}

/** The record of one message to one queue, at that queue's delay unless it has its own. */
export function oneRecord(queue: Queue, input: PublishInput, now: number): MessageRecord {
  return publishRecord(queue.nameList, nextMessageId(), input, now, input.delay ?? queue.config.delay)
}
