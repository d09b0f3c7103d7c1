// How many live messages each segment holds, and where each live message's data is. A segment
// whose count reaches zero can go; one with only a few can be compacted.
//
// At run time the store hands every publish, delete, move, purge and drop record the messages it
// is about (HELD), and each message carries its segment in its own `where`: no map by id, which
// for a million queued messages would cost a million entries and their rehashing. Records read
// back at start-up have no messages yet: they are counted by queue and id, with the same rules
// as LocalStore.replay, and once the store has replayed them, handOver gives each held message
// its segment and empties the maps.
import { HELD, type JournalRecord, type LiveView, type LogHandle } from '../journal.js'
import { recordSize } from './format.js'

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
  /** Records without messages (start-up): queue -> mid -> the segment with that message's data. */
  private readonly byQueue = new Map<string, Map<string, Segment>>()
  /**
   * The last queue looked up and its map: a batch is mostly records of one queue in a row, and
   * a name compared by reference (the store passes its own strings) is cheaper than a lookup.
   */
  private lastName: string | undefined
  private lastMids: Map<string, Segment> | undefined

  /** A batch's records, just written to `segment` from byte `base` on; `frames` are their bytes. */
  applyAll(records: JournalRecord[], segment: Segment, frames: Buffer, base: number): void {
    let offset = 0
    for (let i = 0; i < records.length; i++) {
      this.apply(records[i] as JournalRecord, segment, base + offset)
      offset += recordSize(frames, offset)
    }
  }

  /** One record, written to `segment` at byte `at` (start-up replay has no use for `at`). */
  apply(record: JournalRecord, segment: Segment, at = 0): void {
    const held = (record as { [HELD]?: LogHandle[] })[HELD]
    if (held !== undefined) this.applyHeld(record, held, segment, at)
    else this.applyById(record, segment)
  }

  /**
   * After start-up replay: each message the store holds takes its segment from the maps, which
   * keep only what the store does not hold (nothing, once the two agree).
   */
  handOver(live: LiveView): void {
    let entries = 0
    for (const mids of this.byQueue.values()) entries += mids.size
    let handed = 0
    live.eachHeld((queue, mid, handle) => {
      const segment = this.existing(queue)?.get(mid)
      if (!segment) return
      handle.where = segment
      handed++
    })
    // The usual case: the store holds everything the maps count, and they simply go.
    if (handed === entries) this.byQueue.clear()
    else {
      live.eachHeld((queue, mid) => this.existing(queue)?.delete(mid))
      for (const [queue, mids] of this.byQueue) if (mids.size === 0) this.byQueue.delete(queue)
    }
    this.lastName = undefined
    this.lastMids = undefined
  }

  /** How many live entries of `segment` are known only by queue and id (see handOver). */
  countedById(segment: Segment): number {
    let count = 0
    for (const mids of this.byQueue.values()) {
      for (const holder of mids.values()) if (holder === segment) count++
    }
    return count
  }

  private applyHeld(record: JournalRecord, held: LogHandle[], segment: Segment, at: number): void {
    switch (record.type) {
      case 'publish':
        // A compacted copy of a live message moves it: its old segment loses it.
        for (let i = 0; i < held.length; i++) placeHeld(held[i] as LogHandle, segment, at)
        if (record.dedupId !== undefined) segment.metadata = true
        return
      case 'move': {
        // The data stays where it is: the message that now holds it takes over the count.
        const [from, to] = held as [LogHandle, LogHandle]
        to.where = from.where
        to.at = from.at
        from.where = undefined
        return
      }
      case 'drop':
        segment.metadata = true
        for (let i = 0; i < held.length; i++) endHeld(held[i] as LogHandle)
        return
      default:
        for (let i = 0; i < held.length; i++) endHeld(held[i] as LogHandle)
    }
  }

  private applyById(record: JournalRecord, segment: Segment): void {
    switch (record.type) {
      case 'publish':
        for (const queue of record.queues) this.place(queue, record.mid, segment)
        // Its dedupId must outlive the message by up to 5 minutes: rewritten (metadata) before the file goes.
        if (record.dedupId !== undefined) segment.metadata = true
        return
      case 'delete':
      case 'expire':
        this.end(record.queue, record.mid)
        return
      case 'move': {
        const from = this.existing(record.from)
        const holder = from?.get(record.mid)
        if (!from || !holder) return
        from.delete(record.mid)
        const key = record.toMid ?? record.mid
        const to = this.queue(record.to)
        const previous = to.get(key)
        if (previous) previous.live--
        to.set(key, holder)
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
      case 'counts':
        segment.metadata = true
        return
      case 'receive':
      case 'release':
        return
    }
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

function placeHeld(handle: LogHandle, segment: Segment, at: number): void {
  const previous = handle.where as Segment | undefined
  if (previous) previous.live--
  handle.where = segment
  handle.at = at
  segment.live++
  segment.entries++
}

function endHeld(handle: LogHandle): void {
  const segment = handle.where as Segment | undefined
  if (!segment) return
  segment.live--
  handle.where = undefined
}
