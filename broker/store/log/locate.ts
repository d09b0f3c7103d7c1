// Finding a publish record by its seq (seq-index.ts) in the files themselves: the nearest sparse
// entry at or below it, then a read forward (body-reader.ts). A queue taken in order asks for seq
// after seq: the walk starts from the last record found when that is nearer than the entry, and a
// file start-up did not read gets its sparse index only once a lookup cannot start from there.
import type { Logger } from '../../../shared/logger.js'
import type { LogHandle } from '../journal.js'
import type { BodyReader } from './body-reader.js'
import { NO_SEQ } from './format.js'
import type { Segment } from './live-index.js'
import type { SeqIndex, Sparse } from './seq-index.js'

export class Locator {
  /** The last native record found: where the next walk in its file may start. */
  private lastSegment: Segment | undefined
  private lastSeq = -1
  private lastAt = 0

  constructor(private readonly seqs: SeqIndex, private readonly bodies: BodyReader, private readonly log: Logger) {}

  /** Where the publish record of `seq` (its newest copy) is, or undefined (the error is logged when its file cannot be read). */
  locate(seq: number): LogHandle | undefined {
    const place = this.seqs.place(seq)
    if (place === undefined) return undefined
    if (place.exact) return { where: place.segment, at: place.at }
    const segment = place.segment
    let at: number | undefined
    try {
      if (this.lastSegment === segment && this.lastSeq <= seq && this.lastSeq >= place.fromSeq) {
        at = this.bodies.findSeq(segment, this.lastAt, this.lastSeq, seq)
      } else if (place.unindexed) {
        at = this.extend(segment, seq)
      } else {
        at = this.bodies.findSeq(segment, place.at, place.fromSeq, seq)
      }
    } catch (err) {
      this.log.error({ err, file: segment.path, seq }, 'log: a file could not be read to find a message')
      return undefined
    }
    if (at === undefined) return undefined
    this.lastSegment = segment
    this.lastSeq = seq
    this.lastAt = at
    return { where: segment, at }
  }

  /** The seq of the native publish record at `at` in `segment` (a file older than version 5 does not carry it). */
  seqAt(segment: Segment, at: number): number | undefined {
    const seqs = segment.seqs
    try {
      if (seqs.unread !== undefined) this.extend(segment, Infinity)
      const pairs = (seqs.unread ?? seqs.sparse).pairs
      let i = pairs.length - 1
      while (i >= 0 && (pairs.offsets[i] as number) > at) i--
      if (i < 0) return undefined
      let counter = pairs.seqs[i] as number
      let found: number | undefined
      this.bodies.eachPublishFrom(segment, pairs.offsets[i] as number, (seq, offset) => {
        if (offset === at) found = seq === NO_SEQ ? counter : seq
        counter++
        return offset < at
      })
      return found
    } catch (err) {
      this.log.error({ err, file: segment.path }, 'log: a file could not be read to number its messages')
      return undefined
    }
  }

  /**
   * Reads on through the part of a file start-up did not read (SegmentSeqs.unread), noting its
   * native records, up to the record of `seq` (returned) or the part's end. Throws when the file
   * cannot be read.
   */
  private extend(segment: Segment, seq: number): number | undefined {
    const seqs = segment.seqs
    const unread = seqs.unread as Sparse
    let counter = seqs.builtSeq
    let found: number | undefined
    let more = true
    this.bodies.eachPublishFrom(segment, seqs.builtAt, (s, at, end) => {
      if (at >= seqs.unreadEnd) return (more = false)
      const native = s === NO_SEQ ? counter++ : s
      const isNative = s === NO_SEQ || s >= segment.firstSeq
      if (isNative) unread.note(native, at)
      seqs.builtAt = end
      seqs.builtSeq = counter
      if (isNative && native >= seq) {
        if (native === seq) found = at
        more = false
      }
      return more
    })
    // Read to its end: what was noted stays (in `unread`), and nothing more is to be read.
    if (more || seqs.builtAt >= seqs.unreadEnd) seqs.builtAt = seqs.unreadEnd
    return found
  }
}
