// The local store's whole-queue operations (PROTOCOL.md §4.15-§4.19): purge, drop, peek and
// redrive. Each answers once its record is durable; a refused write puts the queue back as it was.
import { HubqError } from '../../../shared/errors.js'
import type { Delivery, PeekState } from '../../../shared/protocol/types.js'
import type { About, JournalRecord } from '../journal.js'
import type { Queue } from '../../queues/queue.js'
import { State, type StoredMessage } from '../../queues/message.js'
import { copyKey, messageOf, toDelivery, toRecord } from '../../queues/records.js'
import { Undo } from '../../queues/undo.js'
import { removeAll, restore, snapshotHeld } from '../../queues/restore.js'
import { expireDue } from '../../queues/retention.js'
import { cancelWaiters } from '../../queues/consumers.js'
import { movedOut } from '../../queues/apply.js'
import { backlogIndex, leaveDelayed, withdrawCopies } from '../../queues/placement.js'
import { bodyOf, readableBody } from './bodies.js'
import type { Bindings } from './replay.js'
import type { LocalStore } from './store.js'

export function purge(store: LocalStore, name: string): Promise<number> {
  const { engine, journal } = store
  const queue = engine.existing(name)
  const held = snapshotHeld(queue)
  journal.append({ type: 'purge', queue: name }, ends(queue, held))
  const backlogged = queue.backlog.size
  const { count, backlog } = removeAll(engine, queue)
  return store.afterCommit(new Undo(() => {
    restore(engine, queue, held)
    queue.backlog.restore(backlog)
  }), count + backlogged)
}

/** What a purge or drop ends, for the log's live counts: every held message and backlog message by seq, the backlog's written ones by file. */
function ends(queue: Queue, held: { message: StoredMessage }[]): About {
  const backlog = queue.backlog.ends()
  const seqs = held.map((h) => h.message.seq)
  for (const seq of backlog.seqs) seqs.push(seq)
  return { seqs, files: backlog.files }
}

/** Subscriptions end once the drop is durable: a refused one leaves them as they were. */
export function drop(store: LocalStore, name: string): Promise<void> {
  const { engine, journal, topics } = store
  const queue = engine.existing(name)
  const held = snapshotHeld(queue)
  journal.append({ type: 'drop', queue: name }, ends(queue, held))
  const { backlog } = removeAll(engine, queue)
  cancelWaiters(queue)
  engine.queues.delete(name)
  const unbound: [Bindings, Record<string, string[]> | undefined][] = []
  for (const bindings of topics.values()) {
    if (!bindings.has(name)) continue
    unbound.push([bindings, bindings.get(name)])
    bindings.delete(name)
  }
  return journal.commit().then(
    () => {
      for (const sub of queue.subscriptions) sub.closed = true
      queue.subscriptions.length = 0
    },
    (err: unknown) => {
      if (!engine.queues.has(name)) {
        engine.queues.set(name, queue)
        for (const [bindings, filter] of unbound) if (!bindings.has(name)) bindings.set(name, filter)
        restore(engine, queue, held)
        queue.backlog.restore(backlog)
      }
      throw err
    },
  )
}

export function peek(store: LocalStore, name: string, state: PeekState, max: number): Delivery[] {
  const { engine, journal } = store
  const queue = engine.existing(name)
  expireDue(engine, queue)
  const out: Delivery[] = []
  if (state === 'ready') {
    for (const message of queue.readyMessages()) {
      if (out.length >= max) break
      out.push(toDelivery(message, readableBody(message, journal)))
    }
    peekBacklog(store, queue, max, out)
    return out
  }
  const wanted = state === 'inflight' ? State.Inflight : State.Delayed
  for (const message of queue.held()) {
    if (out.length >= max) break
    if (message.state === wanted) out.push(toDelivery(message, readableBody(message, journal)))
  }
  return out
}

/** Peek's ready messages past the objects: the front of the backlog, read from the log and left there. */
function peekBacklog(store: LocalStore, queue: Queue, max: number, out: Delivery[]): void {
  const backlog = queue.backlog
  const scan = store.journal.scan
  if (out.length >= max || backlog.count === 0 || backlog.start === undefined || scan === undefined) return
  let seen = 0
  try {
    scan(backlog.start, undefined, (record) => {
      const index = backlogIndex(record, queue.name)
      if (index < 0) return true
      seen++
      const message = messageOf(queue, record, index)
      out.push(toDelivery(message, { bodyJson: record.bodyJson, attrs: record.attrs }))
      return out.length < max && seen < backlog.count
    })
  } catch (err) {
    throw new HubqError('unavailable', 'messages kept in the log could not be read', { cause: err })
  }
}

/**
 * Moves a dead-letter queue's messages back where they died, visible at once, receive counts
 * reset; messages in flight stay (their receipts stay valid) and can be redriven once released.
 */
export function redrive(store: LocalStore, name: string): Promise<number> {
  const { engine, journal } = store
  const queue = engine.existing(name)
  let moved = 0
  // The targets, and the dead-letter queue when a moved message held a fifo group there.
  const touched = new Set<Queue>()
  const now = engine.clock.now()
  const undo = new Undo()
  const copies: [StoredMessage, StoredMessage][] = []
  const held = snapshotHeld(queue)
  for (const { message } of held) {
    if (message.origin === undefined || message.state === State.Inflight) continue
    // One whose body cannot be read stays (the error is logged): the copy needs it.
    const body = bodyOf(message, journal)
    if (body === undefined) continue
    const target = engine.queueOrDeclare(message.origin, false, undo)
    const toMid = copyKey(message)
    const move: JournalRecord = { type: 'move', from: queue.name, to: target.name, mid: message.key, toMid, receives: 0 }
    journal.append(move)
    if (message.state === State.Ready) {
      // Ready messages sit in the deque; take them all out once, below.
      message.state = State.Gone
      message.generation++
    } else {
      // One that held its fifo group frees it: the queue is dispatched below.
      leaveDelayed(message, touched)
    }
    movedOut(message, false)
    // The copy keeps the message's seq: its data stays where it is in the log.
    const copy = engine.materialize(target, { ...toRecord(message, body.bodyJson, body.attrs), mid: toMid, visibleAt: 0, receives: 0, origin: undefined })
    engine.place(copy, now)
    copies.push([message, copy])
    touched.add(target)
    moved++
  }
  // Keep what was not moved (messages without an origin) in order.
  for (const message of queue.drainReady()) {
    if (message.state !== State.Gone) queue.pushReady(message, false)
  }
  for (const each of touched) engine.dispatch(each)
  // Refused: the copies not yet taken go, and their originals come back (one already taken
  // stays where it went: at-least-once).
  undo.add(() => {
    const untaken = copies.filter(([, copy]) => copy.state === State.Ready || copy.state === State.Delayed)
    withdrawCopies(engine, untaken.map(([, copy]) => copy))
    restore(engine, queue, held.filter(({ message }) => untaken.some(([original]) => original === message)))
  })
  return store.afterCommit(undo, moved)
}
