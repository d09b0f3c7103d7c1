// How many live messages each segment holds, and where each live message's data is. A segment
// whose count reaches zero can go; one with only a few can be compacted.
//
// One function, applyRecord, reads what a record does to the segment it is in, for the records
// the writer writes and for the records start-up reads back: its entries, and whether it holds
// metadata to write again before the file goes. The log does not interpret what its records do to
// messages by id: the store does. At run time the store hands every publish, delete, expire,
// move, purge and drop record the messages it is about (HELD), and each message carries its
// segment in its own `where`: no map by id, which for a million queued messages would cost a
// million entries. Records read back at start-up carry no messages: the store's replay gives each
// message the segment its record came from, and once replay is over, handOver counts the messages
// the store holds, per segment.
import { HELD, type JournalRecord, type LiveView, type LogHandle } from '../journal.js'
import { recordSize } from './format.js'

export interface Segment {
  readonly id: number
  readonly path: string
  /** Bytes in the file, header included. */
  size: number
  /** Live entries ever placed in it (a publish to N queues is N). */
  entries: number
  /** Entries not yet ended by a delete, expire, move, purge or drop. */
  live: number
  /** Holds declare/topic/bind records: they must be rewritten before the file goes. */
  metadata: boolean
  /** Its format version, when not the current one (format.ts). */
  version?: number
}

export class LiveIndex {
  /** A batch's records, just written to `segment` from byte `base` on; `frames` are their bytes. */
  applyAll(records: JournalRecord[], segment: Segment, frames: Buffer, base: number): void {
    let offset = 0
    for (let i = 0; i < records.length; i++) {
      this.applyRecord(records[i] as JournalRecord, segment, base + offset)
      offset += recordSize(frames, offset)
    }
  }

  /**
   * One record in `segment` at byte `at`, written now or read back at start-up: what it says of
   * the file itself, and the messages it carries (HELD, only while running) move their counts.
   */
  applyRecord(record: JournalRecord, segment: Segment, at: number): void {
    noteKind(record, segment)
    const held = (record as { [HELD]?: LogHandle[] })[HELD]
    if (held === undefined) {
      // Read back at start-up, or written without messages (the store's bookkeeping, or a caller
      // with none): placed entries only.
      if (record.type === 'publish') segment.entries += record.queues.length
      return
    }
    switch (record.type) {
      case 'publish':
        // A compacted copy of a live message moves it: its old segment loses it.
        for (let i = 0; i < held.length; i++) placeHeld(held[i] as LogHandle, segment, at)
        return
      case 'move': {
        // The data stays where it is: the message that now holds it takes over the count.
        const [from, to] = held as [LogHandle, LogHandle]
        to.where = from.where
        to.at = from.at
        from.where = undefined
        return
      }
      case 'receive':
      case 'release':
        return
      default:
        for (let i = 0; i < held.length; i++) endHeld(held[i] as LogHandle)
    }
  }

  /**
   * After start-up replay: every message the store holds counts as live in the segment it came
   * from, and so does every message of a queue's backlog.
   */
  handOver(live: LiveView): void {
    live.eachHeld((_queue, _key, handle) => {
      const segment = handle.where as Segment | undefined
      if (segment) segment.live++
    })
    live.eachBacklog?.((where, count) => {
      (where as Segment).live += count
    })
  }
}

/** Records the log must write again before their file goes (see Segment.metadata). */
function noteKind(record: JournalRecord, segment: Segment): void {
  switch (record.type) {
    case 'publish':
      // Its dedupId must outlive the message by up to 5 minutes: rewritten (metadata) before the file goes.
      if (record.dedupId !== undefined) segment.metadata = true
      return
    case 'declare':
    case 'topic':
    case 'bind':
    case 'unbind':
    case 'dedup':
    case 'counts':
    case 'drop':
    case 'drop-topic':
      segment.metadata = true
      return
    default:
  }
}

function placeHeld(handle: LogHandle, segment: Segment, at: number): void {
  const previous = handle.where as Segment | undefined
  if (previous) previous.live--
  handle.where = segment
  handle.at = at
  segment.live++
  segment.entries++
  handle.placed?.()
}

function endHeld(handle: LogHandle): void {
  const segment = handle.where as Segment | undefined
  if (!segment) return
  segment.live -= handle.count ?? 1
  handle.where = undefined
}
