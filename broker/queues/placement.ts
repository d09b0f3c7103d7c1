// Where new messages go (PROTOCOL.md §6.1, §9): held as objects and placed ready or delayed, or
// counted in their queue's backlog; and how they leave again when the log refuses their record
// (their publisher gets `unavailable`, and nothing of them is left).
import type { QueueEngine } from './engine.js'
import { State, type StoredMessage } from './message.js'
import type { Queue } from './queue.js'
import type { BacklogSlot } from './backlog.js'
import { holdsGroup } from './groups.js'
import type { MessageRecord } from './records.js'

/** Where `queue` is among the record's queues when the message joins that queue's backlog; else -1. */
export function backlogIndex(record: MessageRecord, queue: string): number {
  const backlog = record.backlog
  if (backlog === undefined) return -1
  const queues = record.queues
  for (let i = 0; i < queues.length; i++) if (backlog[i] === true && queues[i] === queue) return i
  return -1
}

/**
 * Whether the copy at `index` of a new publish may join its queue's backlog: an original
 * publish, visible at once, of no fifo group (a delayed one, a copy, a move stays an object).
 */
export function mayJoinBacklog(record: MessageRecord, index: number): boolean {
  if (record.receives !== undefined || record.origin !== undefined || record.group !== undefined || record.queueDelay) return false
  const visibleAt = record.visibleAts !== undefined ? (record.visibleAts[index] as number) : record.visibleAt
  return visibleAt <= record.publishedAt
}

/**
 * Marks the copies of a new publish record that join their queue's backlog (before the record
 * is written): those the log can read back, of a standard queue as deep as the high-water mark
 * in ready objects, or whose backlog is not empty (it stays in publish order).
 */
export function markBacklog(engine: QueueEngine, record: MessageRecord, queues: readonly Queue[]): void {
  if (!engine.port.backlogs) return
  let marks: boolean[] | undefined
  for (let index = 0; index < queues.length; index++) {
    const queue = queues[index] as Queue
    if (queue.config.fifo || (queue.backlog.size === 0 && queue.readyLength < engine.highWater)) continue
    if (!mayJoinBacklog(record, index)) continue
    marks ??= new Array<boolean>(queues.length).fill(false)
    marks[index] = true
  }
  if (marks) record.backlog = marks
}

/**
 * Puts freshly published messages into their queues (their records written) and hands them to
 * waiting consumers; a copy that joins its queue's backlog becomes a slot in `slots` instead.
 */
export function placeNew(engine: QueueEngine, records: MessageRecord[], now: number, slots: BacklogSlot[]): StoredMessage[] {
  const placed: StoredMessage[] = []
  let only: Queue | undefined
  let touched: Set<Queue> | undefined
  for (const record of records) {
    for (let index = 0; index < record.queues.length; index++) {
      const queue = engine.queueOrDeclare(record.queues[index] as string, false)
      if (record.backlog?.[index] === true) {
        const slot = queue.backlog.append(record.publishedAt, record.seq ?? 0)
        slots.push(slot)
        queue.published++
        continue
      }
      const message = engine.materialize(queue, record, index)
      engine.place(message, now)
      placed.push(message)
      queue.published++
      if (only === undefined) only = queue
      else if (queue !== only) (touched ??= new Set([only])).add(queue)
    }
  }
  if (touched) for (const queue of touched) engine.dispatch(queue)
  else if (only) engine.dispatch(only)
  return placed
}

/**
 * The log refused these messages (their publisher got `unavailable`): they leave their queues,
 * except one already out with a consumer, which is settled as usual (at-least-once).
 */
export function withdraw(engine: QueueEngine, messages: StoredMessage[]): void {
  const reorder = new Set<Queue>()
  const freed = new Set<Queue>()
  for (const message of messages) {
    const queue = message.queue
    if (message.state === State.Ready) {
      reorder.add(queue)
      message.state = State.Gone
      message.generation++
    } else if (message.state === State.Delayed) {
      leaveDelayed(message, freed)
    } else continue
    queue.published--
    queue.letGo(message)
  }
  for (const queue of reorder) {
    for (const message of queue.drainReady()) {
      if (message.state !== State.Gone) queue.pushReady(message, false)
    }
  }
  for (const queue of freed) engine.dispatch(queue)
}

/**
 * A delayed message leaves its queue before its time (a redrive moves it, a refused write
 * withdraws it): gone, and counted delayed no more. A fifo group it held may deliver again
 * (PROTOCOL.md §6.10), so its queue joins `freed`: the caller dispatches those once its change
 * is made, or the group's next message would wait for some other op to set the queue off.
 */
export function leaveDelayed(message: StoredMessage, freed: Set<Queue>): void {
  const queue = message.queue
  queue.delayed--
  if (holdsGroup(message)) {
    queue.settleGroup(message)
    freed.add(queue)
  }
  message.state = State.Gone
  message.generation++
}

/** Copies made by a refused redrive leave their queues (they are not in flight). */
export function withdrawCopies(engine: QueueEngine, copies: StoredMessage[]): void {
  for (const copy of copies) copy.queue.published++
  withdraw(engine, copies)
}

/** The log refused these backlog messages: they never join (their publisher got `unavailable`). */
export function withdrawSlots(slots: BacklogSlot[]): void {
  for (const slot of slots) {
    if (slot.dead || slot.written) continue
    if (slot.backlog.refuse(slot)) slot.backlog.owner.published--
  }
}
