// A fifo queue's groups: each group's ready messages in publish order, whether one is out, and
// the messages waiting out a delay that hold back the rest of the group (PROTOCOL.md §6.10).
import { Deque } from './deque.js'
import { State, type StoredMessage } from './message.js'

/**
 * A fifo group: its ready messages in publish order, whether one is out, and those waiting out a
 * delay (their queue's, or a nack's), which hold back every message of the group behind them.
 */
export interface Group {
  messages: Deque<StoredMessage>
  /** One of its messages is in flight. */
  busy: boolean
  /** The message pushed last, so an in-order push needs no look at the back. */
  last: StoredMessage | undefined
  /** Its delayed messages in publish order (undefined while there are none, as usual). */
  waiting: Deque<StoredMessage> | undefined
  /** The group has an entry in `available` (which takeReady may find stale). */
  listed: boolean
}

/** True when a delayed message holds its fifo group while it waits (see holdGroup). */
export function holdsGroup(message: StoredMessage): boolean {
  return message.queue.config.fifo && message.group !== undefined
}

/** The group's first ready message, past those expired where they stood (see Queue.expire). */
export function liveFront(group: Group): StoredMessage | undefined {
  for (;;) {
    const head = group.messages.peekFront()
    if (head === undefined || head.state === State.Ready) return head
    group.messages.shift()
  }
}

/** Nothing out and no earlier message of the group waiting out a delay: its first ready one may go. */
export function deliverable(group: Group): boolean {
  if (group.busy) return false
  const head = liveFront(group)
  if (head === undefined) return false
  const waiting = group.waiting
  return waiting === undefined || publishOrder(head, waiting.peekFront() as StoredMessage) < 0
}

/** Holds nothing: the group can go (it is made again by its next message). */
export function idle(group: Group): boolean {
  return !group.busy && group.waiting === undefined && liveFront(group) === undefined
}

/** Publish order: by publish time, then by mid (uuid v7, which grows within a millisecond). */
export function publishOrder(a: StoredMessage, b: StoredMessage): number {
  return a.publishedAt - b.publishedAt || (a.mid < b.mid ? -1 : a.mid > b.mid ? 1 : 0)
}

/** Appends in publish order; the rare message that belongs further up (a redelivery) is slotted in. */
export function insertInOrder(group: Group, message: StoredMessage): void {
  const messages = group.messages
  const first = messages.peekFront()
  if (first === undefined || publishOrder(group.last as StoredMessage, message) < 0) {
    messages.push(message)
    group.last = message
  } else if (publishOrder(message, first) < 0) {
    messages.unshift(message)
  } else {
    const all = [...messages, message].sort(publishOrder)
    messages.clear()
    for (const m of all) messages.push(m)
    group.last = all[all.length - 1]
  }
}
