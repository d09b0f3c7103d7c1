// Which segment holds the publish record of each live message, and how many live messages each
// segment holds. A segment whose count reaches zero can go; one with only a few can be compacted.
// The rules mirror LocalStore.replay, so the index agrees with the store about what is live.
import type { JournalRecord } from '../journal.js'

export interface Segment {
  readonly id: number
  readonly path: string
  /** Bytes in the file, header included. */
  size: number
  /** Live entries ever placed in it (a publish to N queues is N). */
  entries: number
  /** Entries not yet ended by a delete, move, purge or drop. */
  live: number
  /** Holds declare/topic/bind records: they must be rewritten before the file goes. */
  metadata: boolean
}

export class LiveIndex {
  /** queue -> mid -> the segment with that message's data. */
  private readonly byQueue = new Map<string, Map<string, Segment>>()
  /**
   * The last queue looked up and its map: a batch is mostly records of one queue in a row, and
   * a name compared by reference (the store passes its own strings) is cheaper than a lookup.
   */
  private lastName: string | undefined
  private lastMids: Map<string, Segment> | undefined

  /** A batch's records, just written to `segment`. */
  applyAll(records: JournalRecord[], segment: Segment): void {
    for (let i = 0; i < records.length; i++) this.apply(records[i] as JournalRecord, segment)
  }

  apply(record: JournalRecord, segment: Segment): void {
    switch (record.type) {
      case 'publish':
        for (const queue of record.queues) this.place(queue, record.mid, segment)
        // Its dedupId must outlive the message by up to 5 minutes: rewritten (metadata) before the file goes.
        if (record.dedupId !== undefined) segment.metadata = true
        return
      case 'delete':
        this.end(record.queue, record.mid)
        return
      case 'move': {
        const from = this.existing(record.from)
        const holder = from?.get(record.mid)
        if (!from || !holder) return
        from.delete(record.mid)
        const to = this.queue(record.to)
        const previous = to.get(record.mid)
        if (previous) previous.live--
        to.set(record.mid, holder)
        return
      }
      case 'purge':
        this.endAll(record.queue)
        return
      case 'drop':
        this.endAll(record.queue)
        this.byQueue.delete(record.queue)
        this.lastName = undefined
        this.lastMids = undefined
        segment.metadata = true
        return
      case 'declare':
      case 'topic':
      case 'bind':
      case 'unbind':
      case 'dedup':
        segment.metadata = true
        return
      case 'receive':
      case 'release':
        return
    }
  }

  /** Every live (queue, mid) whose data is in `segment`. */
  liveIn(segment: Segment): [string, string][] {
    const out: [string, string][] = []
    for (const [queue, mids] of this.byQueue) {
      for (const [mid, holder] of mids) if (holder === segment) out.push([queue, mid])
    }
    return out
  }

  private existing(name: string): Map<string, Segment> | undefined {
    if (name === this.lastName) return this.lastMids
    const mids = this.byQueue.get(name)
    if (mids) {
      this.lastName = name
      this.lastMids = mids
    }
    return mids
  }

  private queue(name: string): Map<string, Segment> {
    let mids = this.existing(name)
    if (!mids) {
      mids = new Map()
      this.byQueue.set(name, mids)
      this.lastName = name
      this.lastMids = mids
    }
    return mids
  }

  /** A later copy of the same message (compaction) replaces the earlier one, as in the store. */
  private place(queue: string, mid: string, segment: Segment): void {
    const mids = this.queue(queue)
    const previous = mids.get(mid)
    if (previous) previous.live--
    mids.set(mid, segment)
    segment.live++
    segment.entries++
  }

  private end(queue: string, mid: string): void {
    const mids = this.existing(queue)
    const holder = mids?.get(mid)
    if (!mids || !holder) return
    holder.live--
    mids.delete(mid)
  }

  private endAll(queue: string): void {
    const mids = this.existing(queue)
    if (!mids) return
    for (const holder of mids.values()) holder.live--
    mids.clear()
  }
}
