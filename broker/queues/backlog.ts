// A standard queue's backlog (PROTOCOL.md §9): the ready messages behind the first few thousand
// are not objects in memory but a range of the log. A publish that finds its queue that deep
// marks its record (PublishRecord.backlog), and the queue only counts it; when the queue's ready
// objects run low it reads the next ones back from the log in order (engine.ts, readAhead)
// and writes an `advance` record, so that a restart knows which of them are objects since.
import { Deque } from './deque.js'

/** A place in the log, opaque to the engine: a file (the log's) and a byte offset in it. */
export interface BacklogHandle {
  where: unknown
  at: number
}

/**
 * A backlog message whose record is appended and not yet known to be written. The store places it
 * (Backlog.place) once the log says where its record landed, found by the record's seq: the log
 * writes nothing into it.
 */
export class BacklogSlot {
  /** Placed: its record is in the log, and the backlog counts it. */
  written = false
  /** Its queue was purged or dropped since: the placement counts for nothing. */
  dead = false

  constructor(readonly backlog: Backlog, readonly publishedAt: number, readonly seq: number) {}
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

  /** A new backlog message, appended now (its record's seq): the store places it once written. */
  append(publishedAt: number, seq: number): BacklogSlot {
    const slot = new BacklogSlot(this, publishedAt, seq)
    this.pending.push(slot)
    this.pendingCount++
    return slot
  }

  /** The slot's record was written at `where`/`at` (once: a dead slot counts for nothing). */
  place(slot: BacklogSlot, where: unknown, at: number): void {
    if (slot.dead || slot.written) return
    slot.written = true
    if (this.pending.peekFront() === slot) this.pending.shift()
    else this.pending.remove(slot)
    this.pendingCount--
    this.add(where, at, slot.publishedAt)
  }

  /** The log refused the slot's record: it never joins. False when it was not waiting. */
  refuse(slot: BacklogSlot): boolean {
    if (slot.dead || slot.written || !this.pending.remove(slot)) return false
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
   * What a purge or drop ends of the backlog, for the log's live counts: how many messages in
   * each file, and the seqs of those not yet placed.
   */
  ends(): { files: [unknown, number][]; seqs: number[] } {
    const seqs: number[] = []
    for (const slot of this.pending) seqs.push(slot.seq)
    return { files: [...this.bySegment], seqs }
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
      this.pending.push(slot)
      this.pendingCount++
    }
  }
}
