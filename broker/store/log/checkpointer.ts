// When the log writes a checkpoint (checkpoint.ts) and what goes in it. The store's state is taken
// with a batch, as the writer takes it; once that batch is written and fsynced, the checkpoint
// goes beside it, with the log's end as its position. One is written as each segment starts, once
// a quarter of a segment (CHECKPOINT_MIN_BYTES at least) is written since the last, after a
// start-up that replayed the log whole, and at a clean close.
import type { Logger } from '../../../shared/logger.js'
import type { LiveView, LogHandle, LogPosition } from '../journal.js'
import type { BodyReader } from './body-reader.js'
import { writeCheckpoint, type CheckpointFile, type SegmentEntry } from './checkpoint.js'
import type { LogFs } from './fs.js'
import type { SegmentFiles } from './segments.js'
import type { SeqIndex } from './seq-index.js'

/**
 * Besides one as each segment starts, a checkpoint is written once this much (or a quarter of a
 * segment, when more) is written since the last: a restart after a crash replays no more.
 */
const CHECKPOINT_MIN_BYTES = 4 * 1024 * 1024

/** The store's part of a checkpoint, taken with a batch and finished once its handles have positions (LiveView.checkpoint). */
export type FinishCheckpoint = (position: (handle: LogHandle) => LogPosition | undefined, seqAt: (seq: number) => LogPosition | undefined) => unknown

export class Checkpointer {
  /** The next batch writes one (a segment rolled, enough was written, or the log was replayed whole). */
  due = false
  private since = 0
  live: LiveView | undefined

  constructor(
    private readonly fs: LogFs, private readonly dir: string, private readonly log: Logger,
    private readonly files: SegmentFiles, private readonly bodies: BodyReader | undefined, private readonly segmentBytes: number,
    private readonly seqs: SeqIndex, private readonly locate: ((seq: number) => LogHandle | undefined) | undefined,
  ) {}

  /** Checkpoints need the store's part and segments whose bodies can be read back one by one (version 2 on). */
  possible(): boolean {
    if (this.live?.checkpoint === undefined || this.bodies === undefined) return false
    for (const segment of this.files.list) if (segment.version !== undefined && segment.version < 2) return false
    return true
  }

  /** A batch of `bytes` was written. */
  wrote(bytes: number): void {
    this.since += bytes
    if (this.since >= Math.max(this.segmentBytes / 4, CHECKPOINT_MIN_BYTES)) this.due = true
  }

  /** The store's state as the pending batch is taken, when a checkpoint is due and can be written (`blocked`: the log is failing or tight). */
  take(blocked: boolean): FinishCheckpoint | undefined {
    if (!this.due || blocked || !this.possible()) return undefined
    this.due = false
    this.since = 0
    return (this.live as LiveView).checkpoint?.()
  }

  /** The batch taken with `finish` is written and fsynced: its checkpoint is written; undefined when there is none to write. */
  afterBatch(finish: FinishCheckpoint): Promise<void> | undefined {
    const file = this.file(finish)
    if (file === undefined) return undefined
    return writeCheckpoint(this.fs, this.dir, file).catch((err: unknown) => {
      this.log.error({ err, dir: this.dir }, 'log: could not write a checkpoint; the next segment will try again')
    })
  }

  /** Everything is written and synced (a clean close): a checkpoint at the end, so that the next start replays nothing. */
  async last(): Promise<void> {
    if (!this.possible()) return
    const finish = (this.live as LiveView).checkpoint?.()
    const file = finish && this.file(finish)
    if (file) await writeCheckpoint(this.fs, this.dir, file).catch((err: unknown) => this.log.error({ err }, 'log: could not write the last checkpoint'))
  }

  /** The store's state, as `finish` tells it now, with the log's end as its position; undefined when it cannot be told. */
  private file(finish: FinishCheckpoint): CheckpointFile | undefined {
    const store = finish(this.files.positionOf, this.seqAt)
    if (store === undefined) return undefined
    const active = this.files.active
    return {
      position: { segment: active.id, at: active.size },
      segments: this.files.list.map(({ id, size, entries, metadata, version, firstSeq, seqs }) => {
        const entry: SegmentEntry = { id, size, entries, metadata, ...(version !== undefined ? { version } : {}), firstSeq }
        const copies = seqs.copies
        if (copies !== undefined && copies.length > 0) {
          entry.copies = []
          for (let i = 0; i < copies.length; i++) entry.copies.push(copies.seqs[i] as number, copies.offsets[i] as number)
        }
        return entry
      }),
      nextSeq: this.seqs.nextSeq,
      store,
    }
  }

  /** Where the record of a seq is, exactly (a backlog's messages written since the state was taken). */
  private readonly seqAt = (seq: number): LogPosition | undefined => {
    const handle = this.locate?.(seq)
    return handle === undefined ? undefined : this.files.positionOf(handle)
  }
}
