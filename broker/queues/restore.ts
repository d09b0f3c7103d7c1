// Whole-queue changes and their way back: what a purge, drop or redrive takes out of a queue and
// puts back when the log refuses it, and where a restart puts the messages replay rebuilt.
import type { QueueEngine } from './engine.js'
import { State, type StoredMessage } from './message.js'
import type { Queue } from './queue.js'
import { publishOrder } from './groups.js'
import { emptied } from './apply.js'
import type { BacklogState } from './backlog.js'

export interface HeldState {
  message: StoredMessage
  state: State
}

/** The messages a queue holds now, each with its state: what `restore` puts back. */
export function snapshotHeld(queue: Queue): HeldState[] {
  const out: HeldState[] = []
  for (const message of queue.held()) out.push({ message, state: message.state })
  return out
}

/**
 * Every message leaves the queue, those in flight too (their receipts end), and its backlog
 * (apply.ts, emptied): a purge or a drop. Returns how many objects left, and the backlog as it was.
 */
export function removeAll(engine: QueueEngine, queue: Queue): { count: number; backlog: BacklogState } {
  let count = 0
  for (const message of queue.held()) {
    if (message.state === State.Inflight) engine.leaveInflight(message)
    message.state = State.Gone
    message.generation++
    count++
  }
  // Every group goes too, those held by an in-flight or delayed message included.
  queue.clearAll()
  const backlog = emptied(queue)
  queue.delayed = 0
  return { count, backlog }
}

/**
 * Puts back what a refused purge, drop or redrive took out of `queue`: delayed ones delayed,
 * the others ready (one that was in flight too: its receipt is spent, as after a release).
 */
export function restore(engine: QueueEngine, queue: Queue, held: HeldState[]): void {
  const now = engine.clock.now()
  for (const { message, state } of held) {
    if (message.state !== State.Gone || message.queue !== queue) continue
    queue.hold(message)
    if (state === State.Delayed) engine.place(message, now)
    else queue.pushReady(message, false)
  }
  engine.dispatch(queue)
}

/**
 * After replay: every held message is placed, in publish order (`inPublishOrder`). A restart
 * releases what was in flight: one delivered maxReceives times and due now goes on to its
 * dead-letter queue, as any release would send it (PROTOCOL.md §6.5), its body read back first;
 * one whose body cannot be read stays ready (take moves it later).
 */
export function placeReplayed(engine: QueueEngine): void {
  const now = engine.clock.now()
  const spent: StoredMessage[] = []
  for (const queue of engine.queues.values()) {
    for (const message of inPublishOrder(queue)) {
      if (message.until <= now && engine.pastMaxReceives(message)) spent.push(message)
      else engine.place(message, now)
    }
  }
  for (const message of spent) {
    if (message.bodyJson === undefined) {
      const stored = engine.port.readBody(message.seq)
      if (stored === undefined) {
        engine.place(message, now)
        continue
      }
      message.bodyJson = stored.bodyJson
      message.attrs = stored.attrs
    }
    engine.moveToDeadLetter(message, false)
  }
}

/**
 * Replayed messages in publish order. Log compaction rewrites an old message after newer ones,
 * so the replay order alone could put it behind them (and break a fifo group's order).
 */
function inPublishOrder(queue: Queue): Iterable<StoredMessage> {
  let previous: StoredMessage | undefined
  for (const message of queue.held()) {
    if (previous && publishOrder(previous, message) > 0) return [...queue.held()].sort(publishOrder)
    previous = message
  }
  return [...queue.held()]
}
