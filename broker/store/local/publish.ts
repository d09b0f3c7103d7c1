// A publish in the local store (PROTOCOL.md §4.5, §6.1): the engine decides where each message
// goes (fifo rules, the dedup window, a queue's backlog) and places it; its record is appended,
// consumers get it at once, and the publisher's confirm waits for the commit. A refused write
// takes every message of the publish back out (PROTOCOL.md §6 "Semantics").
import { badRequest, notFound } from '../../../shared/errors.js'
import type { PublishInput } from '../../../shared/protocol/types.js'
import type { PublishTarget } from '../types.js'
import { HELD, type PublishRecord } from '../journal.js'
import type { Queue } from '../../queues/queue.js'
import type { BacklogSlot } from '../../queues/backlog.js'
import { nextMessageId } from '../../queues/message-ids.js'
import { publishRecord } from '../../queues/records.js'
import { Undo } from '../../queues/undo.js'
import { DEDUP_WINDOW_MS } from '../../queues/retention.js'
import { markBacklog, mayJoinBacklog, placeNew, withdraw, withdrawSlots } from '../../queues/placement.js'
import { matchesFilter } from './filter.js'
import { spill } from './bodies.js'
import type { LocalStore } from './store.js'

/** The backlog marks of a record to one queue whose message joins its backlog (never changed). */
const JOINS: readonly boolean[] = Object.freeze([true])

export function publish(store: LocalStore, target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
  const { engine, journal } = store
  if (inputs.length === 1 && 'queue' in target) {
    const existing = engine.queues.get(target.queue)
    if (existing && !existing.config.fifo) return publishOne(store, existing, inputs[0] as PublishInput, undefined)
    if (!existing) {
      const undo = new Undo()
      const queue = engine.queueOrDeclare(target.queue, true, undo)
      if (!queue.config.fifo) return publishOne(store, queue, inputs[0] as PublishInput, undo)
      undo.run()
    }
  }
  const now = engine.clock.now()
  const mids: string[] = new Array(inputs.length)
  const records: PublishRecord[] = []
  const dedupAdded: [Queue, string][] = []
  const undo = new Undo()
  try {
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as PublishInput
      const bound = targets(store, target, input, undo)
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
      const delay = input.delay ?? ('queue' in target ? (queues[0]?.config.delay ?? 0) : 0)
      const record = publishRecord(queues.map((q) => q.name), mid, input, now, delay)
      // As SNS to SQS: a fan-out without a delay of its own waits out each queue's default
      // delay, resolved now and written with the record (replay must not depend on where a
      // later declare of the queue lands in the log).
      if (input.delay === undefined && 'topic' in target && queues.some((q) => q.config.delay > 0)) {
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
      journal.append(record)
      records.push(record)
    }
  } catch (err) {
    for (const [queue, dedupId] of dedupAdded) queue.dedup.delete(dedupId)
    undo.run()
    return Promise.reject(err)
  }
  // Consumers get the message now; the publisher's confirm waits for the fsync (PROTOCOL.md §9).
  // A crash before the fsync loses only messages nobody was told were kept, as in RabbitMQ.
  const slots: BacklogSlot[] = []
  const placed = records.length === 0 ? [] : placeNew(engine, records, now, slots)
  return journal.commit().then(
    () => {
      for (const message of placed) spill(message, journal, store.bodiesInMemory)
      if (slots.length > 0) backlogWritten(store, slots)
      return mids
    },
    (err: unknown) => {
      for (const [queue, dedupId] of dedupAdded) queue.dedup.delete(dedupId)
      withdraw(placed)
      withdrawSlots(slots)
      undo.run()
      throw err
    },
  )
}

/**
 * The common case: one message to one standard queue, as `publish` does it, without its lists.
 * `undo`: set when the queue was made for this publish (it goes again if the log refuses).
 */
function publishOne(store: LocalStore, queue: Queue, input: PublishInput, undo: Undo | undefined): Promise<string[]> {
  const { engine, journal } = store
  const now = engine.clock.now()
  const mid = nextMessageId()
  const record: PublishRecord = publishRecord(queue.nameList, mid, input, now, input.delay ?? queue.config.delay)
  if ((queue.backlog.size > 0 || queue.readyLength >= engine.highWater) && engine.port.backlogs && mayJoinBacklog(record, 0)) {
    return publishToBacklog(store, queue, record, undo)
  }
  journal.append(record)
  const message = engine.materialize(queue, record)
  record[HELD] = [message]
  engine.place(message, now)
  queue.published++
  engine.dispatch(queue)
  const mids = [mid]
  return journal.commit().then(
    () => {
      spill(message, journal, store.bodiesInMemory)
      return mids
    },
    (err: unknown) => {
      withdraw([message])
      undo?.run()
      throw err
    },
  )
}

/** publishOne, for a message that joins the queue's backlog: it is counted, not held. */
function publishToBacklog(store: LocalStore, queue: Queue, record: PublishRecord, undo: Undo | undefined): Promise<string[]> {
  record.backlog = JOINS
  store.journal.append(record)
  const slot = queue.backlog.append(record.publishedAt)
  record[HELD] = [slot]
  queue.published++
  const mids = [record.mid]
  return store.journal.commit().then(
    () => {
      backlogWritten(store, [slot])
      return mids
    },
    (err: unknown) => {
      withdrawSlots([slot])
      undo?.run()
      throw err
    },
  )
}

/** Backlog messages are written: a queue whose ready objects ran out meanwhile reads them ahead for its consumers. */
export function backlogWritten(store: LocalStore, slots: BacklogSlot[]): void {
  let last: BacklogSlot['backlog'] | undefined
  for (const slot of slots) {
    if (slot.backlog === last) continue
    last = slot.backlog
    const queue = store.engine.queues.get((last.owner as Queue).name)
    if (queue !== undefined && queue.backlog === last) store.engine.dispatch(queue)
  }
}

function targets(store: LocalStore, target: PublishTarget, input: PublishInput, undo: Undo): Queue[] {
  if ('queue' in target) return [store.engine.queueOrDeclare(target.queue, true, undo)]
  const bindings = store.topics.get(target.topic)
  if (!bindings) throw notFound(`topic ${target.topic} does not exist`)
  const out: Queue[] = []
  for (const [name, filter] of bindings) {
    if (matchesFilter(filter, input.attrs)) out.push(store.engine.queueOrDeclare(name, true, undo))
  }
  return out
}
