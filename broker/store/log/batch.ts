// One batch of the log's writer: the records appended during a turn, encoded back to back into
// one buffer (the batch's one write), and the promise every commit() waiting on it shares.
import { isConfirmed, type About, type JournalRecord } from '../journal.js'
import { encodeRecordInto, recordEnd } from './format.js'
import { FrameBuffer } from './frame-buffer.js'

/** A batch buffer this large or smaller is kept for the next batch; a larger one (a burst) is let go. */
const KEEP_BUFFER_BYTES = 1024 * 1024
const FIRST_BUFFER_BYTES = 64 * 1024

export class Batch {
  readonly records: JournalRecord[] = []
  /** What each record ends (Journal.append's `about`), in the order of `records`. */
  readonly abouts: (About | undefined)[] = []
  /** Messages its publish records add (a publish to N queues adds N): the deletes the log will owe. */
  publishes = 0
  /** Its records whose ops are answered only once they are written (isConfirmed). */
  confirmed = 0
  /** Written by collection (compaction, metadata before a removal): made afresh by the next attempt, never kept. */
  collection = false
  /** The records' frames, back to back in append order: the batch's one write. */
  private frames: FrameBuffer | undefined
  /** Holds something appended since the last attempt (not only records kept from a failed one). */
  fresh = false
  /** What commit() hands out for this batch, made on the first call. */
  private promise: Promise<void> | undefined
  private resolve!: () => void
  private reject!: (err: unknown) => void

  /** `spare`: a buffer whose write has finished, to encode into instead of allocating one. */
  constructor(private spare?: FrameBuffer) {}

  add(record: JournalRecord, about?: About): void {
    encodeRecordInto(this.out(), record)
    this.push(record, about)
  }

  /** A record already encoded (kept from a failed batch): its frame bytes are copied as they are. */
  addEncoded(record: JournalRecord, frame: Uint8Array, about: About | undefined): void {
    this.out().append(frame)
    this.push(record, about)
  }

  private push(record: JournalRecord, about: About | undefined): void {
    this.records.push(record)
    this.abouts.push(about)
    if (record.type === 'publish') this.publishes += record.queues.length
    if (isConfirmed(record)) this.confirmed++
  }

  /**
   * After `failed` could not be written: what the next attempt writes, its bookkeeping (none when
   * collection wrote it: that is made afresh) followed by `pending`, appended since. Commits
   * already waiting on `pending` wait on the merged batch.
   */
  static kept(failed: Batch, pending: Batch): Batch {
    const kept = failed.collection ? new Batch() : failed.bookkeeping()
    pending.forEachFrame((record, frame, about) => kept.addEncoded(record, frame, about))
    kept.fresh = pending.fresh
    if (pending.size > 0) kept.done().then(() => pending.settle(), (e: unknown) => pending.settle(e))
    return kept
  }

  /** Its bookkeeping records (not isConfirmed), as a batch of their own. */
  bookkeeping(): Batch {
    const kept = new Batch()
    this.forEachFrame((record, frame, about) => {
      if (!isConfirmed(record)) kept.addEncoded(record, frame, about)
    })
    return kept
  }

  get size(): number {
    return this.records.length
  }

  get bytes(): number {
    return this.frames?.length ?? 0
  }

  /** The bytes to write (valid until the batch is released). */
  data(): Buffer {
    return this.frames?.bytes() ?? Buffer.alloc(0)
  }

  /** Calls `each` with every record and its frame bytes, in order. */
  forEachFrame(each: (record: JournalRecord, frame: Buffer, about: About | undefined) => void): void {
    const data = this.frames?.data
    let offset = 0
    for (let i = 0; i < this.records.length; i++) {
      const end = recordEnd(data as Buffer, offset)
      each(this.records[i] as JournalRecord, (data as Buffer).subarray(offset, end), this.abouts[i])
      offset = end
    }
  }

  /** Once written (or given up): its buffer, reset, for the next batch when worth keeping. */
  release(): FrameBuffer | undefined {
    const frames = this.frames ?? this.spare
    this.frames = undefined
    this.spare = undefined
    if (!frames || frames.data.length > KEEP_BUFFER_BYTES) return undefined
    frames.length = 0
    return frames
  }

  private out(): FrameBuffer {
    if (!this.frames) {
      this.frames = this.spare ?? new FrameBuffer(FIRST_BUFFER_BYTES)
      this.spare = undefined
    }
    return this.frames
  }

  done(): Promise<void> {
    this.promise ??= new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    return this.promise
  }

  /** Someone waits on this batch (commit()): under `always` its write is fsynced before it settles. */
  get waited(): boolean {
    return this.promise !== undefined
  }

  settle(err?: unknown): void {
    if (!this.promise) return
    if (err === undefined) this.resolve()
    else this.reject(err)
  }
}
