// A publish in the local store (PROTOCOL.md §4.5, §6.1): the engine decides where each message
// goes and writes its record (broker/queues/publish.ts), consumers get it at once, and the
// publisher's confirm waits for the commit. A refused write takes every message of the publish
// back out of the engine (PROTOCOL.md §6 "Semantics").
import { notFound } from '../../../shared/errors.js'
import type { PublishInput } from '../../../shared/protocol/types.js'
import type { LogHandle } from '../journal.js'
import type { PublishTarget } from '../types.js'
import type { Queue } from '../../queues/queue.js'
import { BacklogSlot } from '../../queues/backlog.js'
import { Undo } from '../../queues/undo.js'
import { accept, forgetDedup, oneRecord, publishOne, type Accepted } from '../../queues/publish.js'
import { placeNew, withdraw, withdrawSlots } from '../../queues/placement.js'
import { matchesFilter } from './filter.js'
import { spill } from './bodies.js'
import type { LocalStore } from './store.js'

export function publish(store: LocalStore, target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
  const { engine, journal } = store
  if (inputs.length === 1 && 'queue' in target) {
    const existing = engine.queues.get(target.queue)
    if (existing && !existing.config.fifo) return publishToQueue(store, existing, inputs[0] as PublishInput, undefined)
    if (!existing) {
      const undo = new Undo()
      const queue = engine.queueOrDeclare(target.queue, true, undo)
      if (!queue.config.fifo) return publishToQueue(store, queue, inputs[0] as PublishInput, undo)
      undo.run()
    }
  }
  const now = engine.clock.now()
  const undo = new Undo()
  let accepted: Accepted
  try {
    accepted = accept(engine, inputs, (input) => targets(store, target, input, undo), 'topic' in target, now)
  } catch (err) {
    undo.run()
    return Promise.reject(err)
  }
  const { mids, records, dedupAdded } = accepted
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
      forgetDedup(dedupAdded)
      withdraw(engine, placed)
      placeWritten(store, slots)
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
function publishToQueue(store: LocalStore, queue: Queue, input: PublishInput, undo: Undo | undefined): Promise<string[]> {
  const { engine, journal } = store
  const now = engine.clock.now()
  const record = oneRecord(queue, input, now)
  const held = publishOne(engine, queue, record, now)
  const mids = [record.mid]
  if (held instanceof BacklogSlot) {
    return journal.commit().then(
      () => {
        backlogWritten(store, [held])
        return mids
      },
      (err: unknown) => {
        placeWritten(store, [held])
        withdrawSlots([held])
        undo?.run()
        throw err
      },
    )
  }
  return journal.commit().then(
    () => {
      spill(held, journal, store.bodiesInMemory)
      return mids
    },
    (err: unknown) => {
      withdraw(engine, [held])
      undo?.run()
      throw err
    },
  )
}

/**
 * Backlog messages whose records the log holds are placed where it says they landed (found by
 * their seqs): the store does it, the log writes nothing into them. A refused commit may follow
 * a batch that was written: its slots are placed, and only the rest refused.
 */
function placeWritten(store: LocalStore, slots: BacklogSlot[]): void {
  const journal = store.journal
  const locate = journal.locate
  if (locate === undefined) return
  for (const slot of slots) {
    if (slot.dead || slot.written) continue
    // Just written, a record's place is known without an object made for it (one per publish).
    const handle = journal.locateExact?.(slot.seq, found) === true ? found : locate(slot.seq)
    if (handle !== undefined) slot.backlog.place(slot, handle.where, handle.at)
  }
}

/** Where locateExact puts what it finds (read at once: placeWritten runs to the end in one go). */
const found: LogHandle = { where: undefined, at: 0 }

/** Backlog messages are written: a queue whose ready objects ran out meanwhile reads them ahead for its consumers. */
function backlogWritten(store: LocalStore, slots: BacklogSlot[]): void {
  placeWritten(store, slots)
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
