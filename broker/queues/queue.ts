// One queue of the engine: ready messages in publish order (per group on fifo queues), the count
// of those in flight or delayed, and the subscribers and long-poll waiters that take them.
import type { QueueConfig, QueueStats } from '../../shared/protocol/types.js'
import { Deque } from './deque.js'
import { Backlog } from './backlog.js'
import { State, type LocalSubscription, type StoredMessage, type Waiter } from './message.js'
import { deliverable, idle, insertInOrder, liveFront, publishOrder, type Group } from './groups.js'

export class Queue {
  readonly name: string
  /** `[name]`, shared by the publish records of this queue's single-queue publishes (never changed). */
  readonly nameList: readonly string[]
  config: QueueConfig
  inflight = 0
  delayed = 0
  published = 0
  acked = 0
  deadLettered = 0
  redelivered = 0
  readonly subscriptions: LocalSubscription[] = []
  readonly waiters = new Deque<Waiter>()
  /**
   * Every message the queue holds, in any state, oldest first: a list threaded through the
   * messages themselves. Nothing looks a message up by id at run time (receipts find deliveries),
   * so a map by id would only cost each message an entry and the queue its rehashing.
   */
  private oldest: StoredMessage | undefined
  private newest: StoredMessage | undefined
  private heldCount = 0
  /** Ready messages kept in the log, not as objects (standard queues only; backlog.ts). */
  readonly backlog = new Backlog(this)
  /** Fifo deduplication: dedupId -> first mid and when it was seen, oldest first. */
  readonly dedup = new Map<string, { mid: string; at: number }>()
  private roundRobin = 0
  private readyCount = 0
  // Standard queues: one deque. Fifo queues: a deque per group, and the groups that have
  // ready messages and none in flight, in the order they became available.
  private readonly ready = new Deque<StoredMessage>()
  private readonly groups = new Map<string, Group>()
  private readonly available = new Deque<string>()

  constructor(config: QueueConfig) {
    this.name = config.queue
    this.nameList = Object.freeze([config.queue])
    this.config = config
  }

  /** Ready messages held as objects (the backlog's are not). */
  get readyLength(): number {
    return this.readyCount
  }

  /** How many messages the queue holds, in any state, its backlog's too. */
  get size(): number {
    return this.heldCount + this.backlog.size
  }

  /**
   * The queue holds this message from now on (it must not be held already). The list stays in
   * publish time order, so the retention sweep finds every expired message at its oldest end: a
   * new publish goes at the newest end, the rare older one (a dead-letter move, a redrive, a
   * compacted copy at replay) is slotted in, looked for from both ends at once.
   */
  hold(message: StoredMessage): void {
    const newest = this.newest
    this.heldCount++
    if (newest === undefined || newest.publishedAt <= message.publishedAt) {
      message.older = newest
      message.newer = undefined
      if (newest) newest.newer = message
      else this.oldest = message
      this.newest = message
      return
    }
    const at = message.publishedAt
    let fromNewest = newest
    let fromOldest = this.oldest as StoredMessage
    for (;;) {
      const older = fromNewest.older
      if (older === undefined || older.publishedAt <= at) return this.holdBefore(fromNewest, message)
      fromNewest = older
      if (fromOldest.publishedAt > at) return this.holdBefore(fromOldest, message)
      fromOldest = fromOldest.newer as StoredMessage
    }
  }

  private holdBefore(next: StoredMessage, message: StoredMessage): void {
    const older = next.older
    message.older = older
    message.newer = next
    if (older) older.newer = message
    else this.oldest = message
    next.older = message
  }

  /** The queue lets the message go; false when it did not hold it. */
  letGo(message: StoredMessage): boolean {
    const { older, newer } = message
    if (older === undefined && this.oldest !== message) return false
    if (older) older.newer = newer
    else this.oldest = newer
    if (newer) newer.older = older
    else this.newest = older
    message.older = undefined
    message.newer = undefined
    this.heldCount--
    return true
  }

  /** Every held message, oldest first; the one just given may be let go before the next is asked for. */
  *held(): IterableIterator<StoredMessage> {
    let message = this.oldest
    while (message) {
      const newer: StoredMessage | undefined = message.newer
      yield message
      message = newer
    }
  }

  /** Lets every message go (each one's links are cleared, so none keeps the others alive). */
  letGoAll(): void {
    let message = this.oldest
    while (message) {
      const newer: StoredMessage | undefined = message.newer
      message.older = undefined
      message.newer = undefined
      message = newer
    }
    this.oldest = undefined
    this.newest = undefined
    this.heldCount = 0
  }

  /**
   * Makes a message ready; on a standard queue a redelivery goes to the front. In a fifo group
   * every message takes its place in publish order, whatever order timers fire or a restart
   * replays in.
   */
  pushReady(message: StoredMessage, front: boolean): void {
    message.state = State.Ready
    message.generation++
    this.readyCount++
    if (!this.config.fifo || message.group === undefined) {
      if (front) this.ready.unshift(message)
      else this.ready.push(message)
      return
    }
    const group = this.group(message.group)
    insertInOrder(group, message)
    this.list(message.group, group)
  }

  /**
   * A fifo message waits out a delay (the queue's on its first publish, or a nack's): no message
   * of its group published after it may be delivered before it (PROTOCOL.md §6.10).
   */
  holdGroup(message: StoredMessage): void {
    const waiting = (this.group(message.group as string).waiting ??= new Deque())
    const last = waiting.peekBack()
    // A first publish comes after the others; a nacked message was its group's first.
    if (last === undefined || publishOrder(last, message) < 0) waiting.push(message)
    else if (publishOrder(message, waiting.peekFront() as StoredMessage) < 0) waiting.unshift(message)
    else {
      const all = [...waiting, message].sort(publishOrder)
      waiting.clear()
      for (const m of all) waiting.push(m)
    }
  }

  /** The next deliverable message, removed from ready. */
  takeReady(): StoredMessage | undefined {
    const plain = this.takePlain()
    if (plain || !this.config.fifo) return plain
    for (;;) {
      const name = this.available.shift()
      if (name === undefined) return undefined
      const group = this.groups.get(name)
      // Entries go stale when a group is held or emptied; the group is listed again when it frees.
      if (!group) continue
      group.listed = false
      if (!deliverable(group)) continue
      const message = group.messages.shift() as StoredMessage
      group.busy = true
      this.readyCount--
      return message
    }
  }

  /** The front of the plain list, past messages expired where they stood (see expire). */
  private takePlain(): StoredMessage | undefined {
    for (;;) {
      const message = this.ready.shift()
      if (message === undefined || message.state === State.Ready) {
        if (message) this.readyCount--
        return message
      }
    }
  }

  /**
   * A fifo message no longer holds its group: the one in flight is settled (or expired when
   * taken), or a delayed one's wait is over (or it leaves the queue). The group may deliver again.
   */
  settleGroup(message: StoredMessage): void {
    if (!this.config.fifo || message.group === undefined) return
    const name = message.group
    const group = this.groups.get(name)
    if (!group) return
    if (message.state === State.Delayed) {
      const waiting = group.waiting
      if (!waiting || !waiting.remove(message)) return
      if (waiting.length === 0) group.waiting = undefined
    } else {
      group.busy = false
    }
    this.list(name, group)
    if (idle(group)) this.groups.delete(name)
  }

  /** True while some ready message could be taken (fifo groups may all be busy). */
  hasDeliverable(): boolean {
    return this.ready.length > 0 || this.available.length > 0
  }

  *readyMessages(): IterableIterator<StoredMessage> {
    for (const message of this.ready) if (message.state === State.Ready) yield message
    for (const group of this.groups.values()) {
      for (const message of group.messages) if (message.state === State.Ready) yield message
    }
  }

  /** Forgets every ready message and every group, busy or not: the queue is being emptied. */
  clearAll(): void {
    this.ready.clear()
    this.groups.clear()
    this.available.clear()
    this.readyCount = 0
  }

  /** Removes every ready message and returns them (busy and waiting groups stay so). */
  drainReady(): StoredMessage[] {
    const out = [...this.readyMessages()]
    this.ready.clear()
    for (const [name, group] of this.groups) {
      group.messages.clear()
      group.last = undefined
      group.listed = false
      if (idle(group)) this.groups.delete(name)
    }
    this.available.clear()
    this.readyCount = 0
    return out
  }

  /**
   * Expires every ready message past the queue's retention, wherever it stands in the queue (a
   * release, a delay or a dead-letter move can put an old message behind younger ones): the held
   * list is in publish time order, so they are all at its oldest end, before the first younger
   * message. One in flight or delayed is passed by (it expires once ready). An expired message
   * stays in its ready list, marked gone, until it reaches the front; it is not counted, shown
   * or delivered.
   */
  expire(now: number, onExpired: (message: StoredMessage) => void): void {
    const cutoff = now - this.config.retention * 1000
    let message = this.oldest
    let expired = false
    while (message !== undefined && message.publishedAt <= cutoff) {
      const newer: StoredMessage | undefined = message.newer
      if (message.state === State.Ready) {
        this.readyCount--
        onExpired(message)
        expired = true
      }
      message = newer
    }
    if (!expired) return
    for (let head = this.ready.peekFront(); head !== undefined && head.state !== State.Ready; head = this.ready.peekFront()) {
      this.ready.shift()
    }
    for (const [name, group] of this.groups) {
      liveFront(group)
      if (idle(group)) this.groups.delete(name)
      else this.list(name, group)
    }
  }

  /** Puts the group in `available` once it can deliver, unless it is there already. */
  private list(name: string, group: Group): void {
    if (group.listed || !deliverable(group)) return
    group.listed = true
    this.available.push(name)
  }

  private group(name: string): Group {
    let group = this.groups.get(name)
    if (!group) {
      group = { messages: new Deque(), busy: false, last: undefined, waiting: undefined, listed: false }
      this.groups.set(name, group)
    }
    return group
  }

  nextSubscriber(): LocalSubscription | undefined {
    const subs = this.subscriptions
    for (let i = 0; i < subs.length; i++) {
      const index = (this.roundRobin + i) % subs.length
      const sub = subs[index] as LocalSubscription
      if (sub.unacked < sub.prefetch && !sub.paused) {
        this.roundRobin = index + 1
        return sub
      }
    }
    return undefined
  }

  /** The ready message at the front of the list or of a group that was published first (the console, the metrics). */
  oldestReady(): StoredMessage | undefined {
    let oldest = this.ready.peekFront()
    for (const group of this.groups.values()) {
      const front = group.messages.peekFront()
      if (front && (!oldest || front.publishedAt < oldest.publishedAt)) oldest = front
    }
    return oldest
  }

  stats(): QueueStats {
    return {
      queue: this.name,
      ready: this.readyCount + this.backlog.size,
      inflight: this.inflight,
      delayed: this.delayed,
      published: this.published,
      acked: this.acked,
      deadLettered: this.deadLettered,
      redelivered: this.redelivered,
    }
  }
}
