// How many live messages each segment holds. A segment whose count reaches zero can go; one with
// only a few can be compacted.
//
// One function, applyRecord, reads what a record does to the segment it is in, for the records
// the writer writes and for the records start-up reads back: its entries, its publish records in
// the log's seq index (seq-index.ts), and whether it holds metadata to write again before the file
// goes. The log does not interpret what its records do to messages by id: the store does. At run
// time a publish counts its messages live in the file it lands in (a compacted copy moves its
// message there from the file it was in), and the store hands each delete, expire, purge and drop
// record the seqs it ends (About), whose files the index finds: no map by id, and nothing written
// into the store's objects. Records read back at start-up only place entries: once replay is
// over, handOver counts the messages the store holds, by their seqs.
import type { About, JournalRecord, LiveView } from '../journal.js'
import { recordSize } from './format.js'
import type { SeqIndex, SegmentSeqs } from './seq-index.js'

export interface Segment {
  readonly id: number
  readonly path: string
  /** Bytes in the file, header included. */
  size: number
  /** Live entries ever placed in it (a publish to N queues is N). */
  entries: number
  /** Entries not yet ended by a delete, expire, purge or drop (or moved on by compaction). */
  live: number
  /** Holds declare/topic/bind records: they must be rewritten before the file goes. */
  metadata: boolean
  /** Its format version, when not the current one (format.ts). */
  version?: number
  /** The first seq of its native range (format.ts: the header's, or assigned at start-up for an older file). */
  firstSeq: number
  /** Its part of the seq index. */
  seqs: SegmentSeqs
}

export class LiveIndex {
  constructor(readonly seqs: SeqIndex) {}

  /** A batch's records, just written to `segment` from byte `base` on; `frames` are their bytes, `abouts` what each ends. */
  applyAll(records: JournalRecord[], abouts: (About | undefined)[], segment: Segment, frames: Buffer, base: number): void {
    let offset = 0
    for (let i = 0; i < records.length; i++) {
      this.applyRecord(records[i] as JournalRecord, segment, base + offset, true, abouts[i])
      offset += recordSize(frames, offset)
    }
  }

  /**
   * One record in `segment` at byte `at`, written now (`running`) or read back at start-up: what
   * it says of the file itself, where its publish record is by seq, and (only while running) the
   * live counts it moves: its own messages', and those of the seqs it ends (`about`).
   */
  applyRecord(record: JournalRecord, segment: Segment, at: number, running: boolean, about?: About): void {
    noteKind(record, segment)
    if (record.type === 'publish') {
      const seq = record.seq as number
      const count = record.queues.length
      segment.entries += count
      if (running) {
        // A compacted copy (below the file's native range) moves its message: the file it was in loses it.
        if (seq < segment.firstSeq) {
          const from = this.seqs.fileOf(seq, segment)
          if (from) from.live -= count
        }
        segment.live += count
      }
      this.seqs.note(segment, seq, at)
      return
    }
    if (!running || about === undefined) return
    if (typeof about === 'number') return this.ended(about)
    const seqs = about.seqs
    if (seqs !== undefined) for (let i = 0; i < seqs.length; i++) this.ended(seqs[i] as number)
    const files = about.files
    if (files !== undefined) for (const [where, count] of files) (where as Segment).live -= count
  }

  /** The message of `seq` ended: the file its data is in holds one live message fewer. */
  private ended(seq: number): void {
    const file = this.seqs.fileOf(seq)
    if (file) file.live--
  }

  /**
   * After start-up replay: every message the store holds counts as live in the file its seq's
   * data is in, and so does every message of a queue's backlog.
   */
  handOver(live: LiveView): void {
    live.eachHeld((seq) => {
      const segment = this.seqs.fileOf(seq)
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
