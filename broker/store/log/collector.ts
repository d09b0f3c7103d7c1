// Collection carried out: dead segments deleted, nearly dead ones compacted (their few live
// messages rewritten at the head), and on a full disk the active segment closed early so that it
// can go too. What to collect and when is decided in collection.ts; this runs it, one step at a
// time as the writer's task, in the crash-safe order write, fsync, unlink, fsync dir.
import type { Clock } from '../../../shared/clock.js'
import type { Logger } from '../../../shared/logger.js'
import type { LiveView } from '../journal.js'
import { Batch } from './batch.js'
import type { BodyReader } from './body-reader.js'
import { collectable, deadPrefix } from './collection.js'
import type { Segment } from './live-index.js'
import type { SegmentFiles } from './segments.js'
import type { Space } from './space.js'

/** What collection needs of the writer whose task it runs as. */
export interface CollectorHost {
  readonly closing: boolean
  readonly live: LiveView | undefined
  /** Writes a batch at the end of the active segment; false (and the batch refused) on an I/O error. */
  write(batch: Batch, forceSync: boolean): Promise<boolean>
  /** Writes what is pending now; false when a write failed. */
  flush(): Promise<boolean>
  /** Closes the active segment and starts the next. */
  roll(): Promise<void>
  fail(err: unknown): void
}

export class Collector {
  /** No compaction before this time (epoch ms): the last attempt met a message still changing. */
  private compactAfter = 0

  constructor(
    private readonly host: CollectorHost, private readonly files: SegmentFiles, private readonly space: Space,
    private readonly bodies: BodyReader | undefined, private readonly log: Logger, private readonly segmentBytes: number,
    private readonly clock: Clock,
  ) {}

  /** Whether a collection step is due (collection.ts). */
  due(): boolean {
    return collectable({
      segments: this.files.list, segmentBytes: this.segmentBytes, diskFull: this.space.diskFull, tight: this.space.tight, compactAfter: this.compactAfter,
    }, this.clock.now())
  }

  /** One step of collection; true when it did something and another step may be due. */
  async collect(): Promise<boolean> {
    if (!this.due()) return false
    // Let the store place what the last write confirmed, so its view matches the index.
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (this.host.closing || this.space.failure !== undefined || !this.due()) return false
    const segments = this.files.list
    if (segments[0] === this.files.active) return this.rollEarly()
    const dead = deadPrefix(segments)
    if (dead.length > 0) return this.remove(dead)
    return this.compact(segments[0] as Segment)
  }

  /** The disk was found full: closes the active segment, mostly dead, so that collection can free it. */
  private async rollEarly(): Promise<boolean> {
    try {
      await this.host.roll()
    } catch (err) {
      this.host.fail(err)
      return false
    }
    this.log.info({ file: (this.files.list[this.files.list.length - 2] as Segment).path }, 'log: the disk is full: the active segment is closed early so that it can be freed')
    return true
  }

  private async compact(oldest: Segment): Promise<boolean> {
    const live = this.host.live as LiveView
    const seqs = this.files.seqs
    const held = live.heldAt((seq) => seqs.fileOf(seq) === oldest)
    // A record that ends or moves one of them is still pending (the store has let it go, the
    // count has not caught up), the store does not hold one the log counts, or a body cannot be
    // read: its data must stay where it is for now. The counts are compared before any body is read.
    const later = (): boolean => {
      this.compactAfter = this.clock.now() + 1000
      return false
    }
    if (held.length !== oldest.live) return later()
    const batch = new Batch()
    batch.collection = true
    for (const message of held) {
      // A copy carries the message's own seq: nothing outside the log changes when its data moves.
      const snapshot = live.snapshot(message)
      if (!snapshot) return later()
      batch.add(snapshot)
    }
    const moved = batch.size
    if (!(await this.host.write(batch, true))) return false
    this.log.info({ file: oldest.path, moved }, `log: compacted ${oldest.path}: ${moved} live messages rewritten at the head`)
    return true
  }

  private async remove(dead: Segment[]): Promise<boolean> {
    // Queue settings, topics and bindings in these files must outlive them, and the stats
    // counters their records add up to: write them again first. The counters are taken from
    // memory, which already counts what is appended and not yet written: that goes first, or
    // replay would count it twice (once in the counters, once after them).
    if (!(await this.host.flush())) return false
    const batch = new Batch()
    batch.collection = true
    for (const record of (this.host.live as LiveView).metadata()) batch.add(record)
    this.space.metadataBytes = batch.bytes
    if (batch.size > 0 && !(await this.host.write(batch, true))) return false
    try {
      await this.files.removeOldest(dead, (segment) => this.bodies?.forget(segment))
    } catch (err) {
      this.log.error({ err }, 'log: could not remove an old segment; will try again later')
      return false
    }
    await this.space.freed()
    return true
  }
}
