// Finding a publish record by its seq (seq-index.ts) in the files themselves: the nearest sparse
// entry at or below it, then a read forward (body-reader.ts). A queue taken in order asks for seq
// after seq: the walk starts from the last record found when that is nearer than the entry.
import type { Logger } from '../../../shared/logger.js'
import type { LogHandle } from '../journal.js'
import type { BodyReader } from './body-reader.js'
import { NO_SEQ } from './format.js'
import type { Segment } from './live-index.js'
import type { SeqIndex } from './seq-index.js'

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
    let from = place.at
    let fromSeq = place.fromSeq
    if (this.lastSegment === segment && this.lastSeq > fromSeq && this.lastSeq <= seq) {
      from = this.lastAt
      fromSeq = this.lastSeq
    }
    let at: number | undefined
    try {
      at = this.bodies.findSeq(segment, from, fromSeq, seq)
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
    const sparse = segment.seqs.sparse
    if (!segment.seqs.complete) this.seqs.place(segment.firstSeq)
    let i = sparse.length - 1
    while (i >= 0 && (sparse.offsets[i] as number) > at) i--
    if (i < 0) return undefined
    let counter = sparse.seqs[i] as number
    let found: number | undefined
    try {
      this.bodies.eachPublishFrom(segment, sparse.offsets[i] as number, (seq, offset) => {
        if (offset === at) found = seq === NO_SEQ ? counter : seq
        counter++
        return offset < at
      })
    } catch (err) {
      this.log.error({ err, file: segment.path }, 'log: a file could not be read to number its messages')
    }
    return found
  }

  /** Notes the native publish records of a file start-up did not read (SegmentSeqs.complete), in one read. */
  readonly build = (segment: Segment): void => {
    let counter = segment.firstSeq
    try {
      this.bodies.eachPublishFrom(segment, undefined, (seq, at) => {
        if (seq === NO_SEQ) segment.seqs.native(counter++, at)
        else if (seq >= segment.firstSeq) segment.seqs.native(seq, at)
        return true
      })
    } catch (err) {
      this.log.error({ err, file: segment.path }, 'log: a file could not be read to index its messages')
    }
  }
}
