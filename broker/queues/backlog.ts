// A standard queue's backlog (PROTOCOL.md §9): the ready messages behind the first few thousand
// are not objects in memory but a range of the log. A publish that finds its queue that deep
// marks its record (PublishRecord.backlog), and the queue only counts it; when the queue's ready
// objects run low it reads the next ones back from the log in order (engine.ts, readAhead)
// and writes an `advance` record, so that a restart knows which of them are objects since.
import { Deque } from './deque.js'
import type { LogSlot } from './message.js'

/** A place in the log as a purge or drop is handed it: one message, or `count` of them in one file. */
export interface BacklogHandle extends LogSlot {
  count?: number
}

/** A backlog message whose record is appended but not yet written: the log tells it where it landed. */
export class BacklogSlot implements LogSlot {
  where: unknown = undefined
  at = 0
  /** Its queue was purged or dropped since: the placement counts for nothing. */
  dead = false

  constructor(readonly backlog: Backlog, readonly publishedAt: number) {}

  placed(): void {
    if (!this.dead) this.backlog.place(this)
  }
}

/** What a refused purge or drop puts back. */
export interface BacklogState {
  start: BacklogHandle | undefined
  count: number
  oldestAt: number
  bySegment: Map<unknown, number>
  pending: BacklogSlot[]
}

export class Backlog {
  /** `owner`: its queue, whose count of published messages a refused one takes back. */
  constructor(readonly owner: { published: number }) {}

  /** Where its unread range starts: no backlog message of the queue is before it. */
  start: BacklogHandle | undefined = undefined
  /** Backlog messages written and not yet read ahead. */
  count = 0
  /**
   * Never later than the publish time of its first message (the first one's, or the last read
   * ahead): retention reads the front only once this is past the queue's retention.
   */
  oldestAt = Infinity
  /** Backlog messages per log file (for the log's live counts, a purge, a drop). */
  readonly bySegment = new Map<unknown, number>()
  /** Appended, not yet written, in log order. */
  private readonly pending = new Deque<BacklogSlot>()
  private pendingCount = 0

  /** Messages in the backlog, written or about to be. */
  get size(): number {
    return this.count + this.pendingCount
  }

  /** The messages appended and not yet written, in log order. */
  waiting(): BacklogSlot[] {
    return [...this.pending]
  }

  /** A new backlog message, appended now: the log places it once written. */
  append(publishedAt: number): BacklogSlot {
    const slot = new BacklogSlot(this, publishedAt)
    this.pending.push(slot)
    this.pendingCount++
    return slot
  }

  /** The log wrote the slot's record. */
  place(slot: BacklogSlot): void {
    if (this.pending.peekFront() === slot) this.pending.shift()
    else this.pending.remove(slot)
    this.pendingCount--
    this.add(slot.where, slot.at, slot.publishedAt)
  }

  /** The log refused the slot's record: it never joins. False when it was not waiting. */
  refuse(slot: BacklogSlot): boolean {
    if (slot.dead || slot.where !== undefined || !this.pending.remove(slot)) return false
    this.pendingCount--
    return true
  }

  /** A backlog message written at `where`/`at` (at run time once written, at replay as read). */
  add(where: unknown, at: number, publishedAt: number): void {
    if (this.count === 0) {
      this.start = { where, at }
      this.oldestAt = publishedAt
    }
    this.count++
    this.bySegment.set(where, (this.bySegment.get(where) ?? 0) + 1)
  }

  /** The message at `where` was read ahead: it is an object from now on. */
  taken(where: unknown): void {
    this.count--
    const left = (this.bySegment.get(where) ?? 1) - 1
    if (left > 0) this.bySegment.set(where, left)
    else this.bySegment.delete(where)
  }

  /**
   * Every message of the backlog as handles for a purge's or drop's record: one per file
   * standing for all its messages there, and each one not yet written.
   */
  handles(): BacklogHandle[] {
    const out: BacklogHandle[] = []
    for (const [where, count] of this.bySegment) out.push({ where, at: 0, count })
    for (const slot of this.pending) out.push(slot)
    return out
  }

  /** Empties the backlog (a purge or a drop); returns what `restore` puts back. */
  clear(): BacklogState {
    const state: BacklogState = {
      start: this.start, count: this.count, oldestAt: this.oldestAt, bySegment: new Map(this.bySegment), pending: [...this.pending],
    }
    for (const slot of this.pending) slot.dead = true
    this.pending.clear()
    this.pendingCount = 0
    this.start = undefined
    this.count = 0
    this.oldestAt = Infinity
    this.bySegment.clear()
    return state
  }

  /** A refused purge or drop: the backlog is as it was, with what was written meanwhile. */
  restore(state: BacklogState): void {
    this.start = state.start
    this.count = state.count
    this.oldestAt = state.oldestAt
    this.bySegment.clear()
    for (const [where, count] of state.bySegment) this.bySegment.set(where, count)
    for (const slot of state.pending) {
      slot.dead = false
      if (slot.where !== undefined) this.add(slot.where, slot.at, slot.publishedAt)
      else {
        this.pending.push(slot)
        this.pendingCount++
      }
    }
  }
}
