// The log's writer: group commit, the fsync policy, and what a failing write does.
//
// Every append lands in the pending batch; once per event-loop turn the batch is written with
// one write and (under fsync=always, when a commit() waits on it) one fdatasync, and every
// commit() waiting on it resolves together. Appends arriving while that runs form the next
// batch. Between batches the writer runs its other tasks one at a time: an fsync that is due, a
// checkpoint (checkpointer.ts), the reserve given up or made again (space.ts), a probe of a
// failing disk, and collection (collector.ts).
//
// Driven by callbacks rather than an async loop: a batch is written every turn or two under
// steady traffic, and an async function per step costs a promise and a suspended frame each
// (young garbage that shows up as scavenge pauses in delivery latency).
import type { Clock } from '../../../shared/clock.js'
import { HubqError } from '../../../shared/errors.js'
import type { Logger } from '../../../shared/logger.js'
import type { About, JournalRecord, LiveView } from '../journal.js'
import { Batch } from './batch.js'
import type { Checkpointer, FinishCheckpoint } from './checkpointer.js'
import { Collector, type CollectorHost } from './collector.js'
import { FILE_HEADER_BYTES } from './format.js'
import type { FrameBuffer } from './frame-buffer.js'
import type { BatchFs, LogFs } from './fs.js'
import type { LiveIndex } from './live-index.js'
import type { FsyncPolicy } from './policy.js'
import { SyncSchedule } from './fsync.js'
import type { SegmentFiles } from './segments.js'
import type { Space } from './space.js'
import type { BodyReader } from './body-reader.js'

export interface WriterParts {
  fs: LogFs
  /** The same file system's write and fsync by callback, for the batches. */
  batchFs: BatchFs
  log: Logger
  policy: FsyncPolicy
  segmentBytes: number
  /** After a failed write, how soon to try again without waiting for new traffic. */
  retryMs: number
  /** Runs the writer's timers (the fsync schedule's, the retry) and tells collection the time. */
  clock: Clock
  /** Told how long each fsync a commit waited for took (the metrics histogram). */
  fsyncObserver: { onFsync(seconds: number): void } | undefined
  files: SegmentFiles
  index: LiveIndex
  space: Space
  checkpoints: Checkpointer
  bodies: BodyReader | undefined
}

export class Writer implements CollectorHost {
  live: LiveView | undefined
  closing = false
  closed = false
  private pending = new Batch()
  /** The buffer of the last batch written, reused by the next one. */
  private spare: FrameBuffer | undefined
  private inFlight: Batch | undefined
  private scheduled = false
  /** The writer is running (a write, fsync or collection step is under way). */
  private busy = false
  private readonly idleWaiters: (() => void)[] = []
  /** The batch in flight: its offset, whether it is fsynced regardless of policy, and who is told. */
  private writeStart = 0
  private writeForced = false
  private writeDone: ((ok: boolean) => void) | undefined
  private syncBegan = 0
  /** A task: find out whether a failing disk writes again. */
  private probeDue = false
  private retryTimer: unknown
  private readonly syncs: SyncSchedule
  private readonly collector: Collector

  constructor(private readonly parts: WriterParts) {
    this.syncs = new SyncSchedule(parts.policy, () => this.schedule(), parts.clock)
    this.collector = new Collector(this, parts.files, parts.space, parts.bodies, parts.log, parts.segmentBytes, parts.clock)
  }

  append(record: JournalRecord, about?: About): void {
    this.pending.add(record, about)
    this.pending.fresh = true
    this.schedule()
  }

  commit(): Promise<void> {
    if (this.pending.size > 0) return this.pending.done()
    if (this.inFlight) return this.inFlight.done()
    // Everything is written, but a write nobody waited on may still lack its fsync.
    return this.syncs.owed() ?? Promise.resolve()
  }

  writable(): boolean {
    return this.parts.space.failure === undefined && !this.parts.space.tight && !this.closed
  }

  /** Once the log is open: the writer's timers start. */
  start(): void {
    this.syncs.start()
  }

  /** Closing: writes what is pending (unless failing) and syncs it; false when something could not be. */
  async finish(): Promise<boolean> {
    this.closing = true
    this.syncs.stop()
    if (this.retryTimer !== undefined) this.parts.clock.clearTimeout(this.retryTimer)
    while (this.busy || (this.pending.size > 0 && this.parts.space.failure === undefined)) {
      this.pump()
      await this.whenIdle()
    }
    let synced = this.parts.space.failure === undefined
    const fd = this.parts.files.fd
    if (fd >= 0) {
      try {
        if (this.syncs.dirty) await this.parts.fs.fdatasync(fd)
        this.syncs.dirty = false
      } catch (err) {
        synced = false
        this.parts.log.error({ err }, 'log: final fsync failed')
      }
    }
    return synced
  }

  schedule(): void {
    if (this.scheduled || this.busy || this.parts.files.fd < 0) return
    this.scheduled = true
    setImmediate(this.onScheduled)
  }

  private readonly onScheduled = (): void => {
    this.scheduled = false
    this.pump()
  }

  /** Starts the writer unless it is already running. */
  private pump(): void {
    if (this.busy) return
    this.busy = true
    this.step()
  }

  /** Resolves once the writer has stopped (at once when it is not running). */
  private whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** One task: write the pending batch, or fsync, or collect; each calls step again when done. */
  private step(): void {
    const { space, checkpoints } = this.parts
    if (space.releaseDue) {
      space.releaseDue = false
      void space.reserve.release().then(() => this.step())
      return
    }
    // Before the pending batch: once the reserve is whole again, its confirmed records are taken
    // (until then, it is tried again later).
    if (space.reserveDue) {
      space.reserveDue = false
      if (space.tight) return void space.remake().then(this.afterRemake)
    }
    if (this.pending.size > 0 && (this.pending.fresh || space.failure === undefined)) {
      let batch = this.pending
      this.pending = new Batch(this.spare)
      this.spare = undefined
      if (space.tight && batch.confirmed > 0) {
        batch = this.refuseConfirmed(batch)
        if (batch.size === 0) return this.step()
        this.writeBatch(batch, false, this.afterStep)
        return
      }
      // A checkpoint is taken with the batch: the state now is the log's once it is written, and
      // fsynced, the checkpoint goes beside it.
      const finish = checkpoints.take(space.failure !== undefined || space.tight)
      const write = (): void => {
        if (finish === undefined) this.writeBatch(batch, false, this.afterStep)
        else this.writeBatch(batch, true, (ok) => this.afterCheckpointBatch(ok, finish))
      }
      if (!space.tight && batch.publishes > 0 && space.reserve.size < space.owed(batch.publishes)) {
        // In flight already, so that a commit() meanwhile waits for it.
        this.inFlight = batch
        space.reserve.hold(space.owed(batch.publishes)).then(write, (err: unknown) => {
          // No room to keep for these messages' deletes: they are refused, nothing was written.
          if (finish !== undefined) checkpoints.due = true
          this.fail(err, batch)
          this.inFlight = undefined
          this.spare = batch.release() ?? this.spare
          this.afterStep(false)
        })
        return
      }
      write()
      return
    }
    if (this.syncs.due) {
      const waiter = this.syncs.take()
      const synced = this.syncs.dirty ? this.syncActive() : Promise.resolve(true)
      void synced.then((ok) => {
        waiter?.settle(ok ? undefined : new HubqError('unavailable', 'the log cannot be fsynced; nothing was confirmed', { cause: space.failure }))
        this.afterStep(ok)
      })
      return
    }
    if (this.probeDue) {
      this.probeDue = false
      // Failing, with nothing to write: a probe finds out whether writes work again.
      const files = this.parts.files
      if (space.failure !== undefined && this.pending.size === 0) return void space.probe(files.fd, files.active.size).then(this.afterProbe)
    }
    if (this.closing || !this.collector.due()) return this.stop()
    void this.collector.collect().then(this.afterStep)
  }

  private readonly afterRemake = (remade: boolean): void => {
    if (!remade) this.armRetry()
    this.step()
  }

  private readonly afterProbe = (err: unknown): void => {
    if (err !== undefined) this.fail(err)
    this.step()
  }

  private readonly afterStep = (more: boolean): void => {
    if (more) this.step()
    else this.stop()
  }

  private stop(): void {
    this.busy = false
    if (this.idleWaiters.length > 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
    const space = this.parts.space
    if ((this.pending.fresh && this.pending.size > 0) || this.syncs.due || space.releaseDue || space.reserveDue || this.probeDue) {
      if (!this.closed) this.schedule()
    }
  }

  /** The batch taken with the checkpoint's state is written and fsynced: the checkpoint goes beside it. */
  private afterCheckpointBatch(ok: boolean, finish: FinishCheckpoint): void {
    if (!ok) {
      this.parts.checkpoints.due = true
      return this.afterStep(false)
    }
    const written = this.parts.checkpoints.afterBatch(finish)
    if (written === undefined) return this.afterStep(true)
    void written.then(() => this.afterStep(true))
  }

  /** Writes a batch at the end of the active segment; false (and the batch refused) on an I/O error. */
  write(batch: Batch, forceSync: boolean): Promise<boolean> {
    return new Promise((resolve) => this.writeBatch(batch, forceSync, resolve))
  }

  /** Writes what is pending now, batch by batch (collection, before old segments go); false when a write failed. */
  async flush(): Promise<boolean> {
    while (this.pending.size > 0) {
      if (this.parts.space.failure !== undefined) return false
      const pending = this.pending
      this.pending = new Batch(this.spare)
      this.spare = undefined
      if (!(await this.write(pending, false))) return false
    }
    return true
  }

  /** As write, telling `done`; the batch's place and mode are kept in fields while it is in flight. */
  private writeBatch(batch: Batch, forceSync: boolean, done: (ok: boolean) => void): void {
    this.inFlight = batch
    this.writeForced = forceSync
    this.writeDone = done
    const files = this.parts.files
    const start = files.active.size
    this.writeStart = start
    if (start > FILE_HEADER_BYTES && start + batch.bytes > this.parts.segmentBytes) {
      this.roll().then(() => {
        this.writeStart = FILE_HEADER_BYTES
        this.parts.batchFs.write(files.fd, batch.data(), FILE_HEADER_BYTES, this.onWritten)
      }, this.onWriteFailed)
      return
    }
    this.parts.batchFs.write(files.fd, batch.data(), start, this.onWritten)
  }

  private readonly onWritten = (err: unknown): void => {
    if (err) return this.onWriteFailed(err)
    const batch = this.inFlight as Batch
    // Decided after the write: a commit() made while it ran is waited on too.
    if (this.writeForced || this.syncs.syncsBatch(batch.waited)) {
      this.syncBegan = performance.now()
      this.parts.batchFs.fdatasync(this.parts.files.fd, this.onSynced)
      return
    }
    this.syncs.unsynced(this.closing)
    this.written()
  }

  private readonly onSynced = (err: unknown): void => {
    if (err) return this.onWriteFailed(err)
    this.syncs.dirty = false
    this.parts.fsyncObserver?.onFsync((performance.now() - this.syncBegan) / 1000)
    this.written()
  }

  /** The batch is in the file (and synced when it had to be): its records take effect, its waiters settle. */
  private written(): void {
    const batch = this.inFlight as Batch
    const done = this.writeDone as (ok: boolean) => void
    this.inFlight = undefined
    this.writeDone = undefined
    const active = this.parts.files.active
    active.size = this.writeStart + batch.bytes
    this.parts.index.applyAll(batch.records, batch.abouts, active, batch.data(), this.writeStart)
    this.parts.checkpoints.wrote(batch.bytes)
    this.spare = batch.release() ?? this.spare
    this.parts.space.recovered()
    batch.settle()
    done(true)
  }

  private readonly onWriteFailed = (err: unknown): void => {
    const batch = this.inFlight as Batch
    const done = this.writeDone as (ok: boolean) => void
    // Drop any part of the batch that did reach the file: refused records must not come back.
    // The batch stays in flight until it is settled, so a commit() meanwhile waits for the verdict.
    void this.parts.fs.ftruncate(this.parts.files.fd, this.writeStart).catch(() => undefined).then(() => {
      this.writeDone = undefined
      this.fail(err, batch)
      this.inFlight = undefined
      this.spare = batch.release() ?? this.spare
      done(false)
    })
  }

  private async syncActive(): Promise<boolean> {
    try {
      await this.parts.fs.fdatasync(this.parts.files.fd)
      this.syncs.dirty = false
      this.parts.space.recovered()
      return true
    } catch (err) {
      this.fail(err)
      return false
    }
  }

  /** Closes the active segment and starts the next; the new file and its directory entry are synced first. */
  async roll(): Promise<void> {
    await this.parts.files.roll(() => {
      this.parts.checkpoints.due = true
      this.syncs.dirty = false
    })
  }

  /**
   * An I/O error: the batch's confirmed records (isConfirmed: publishes, declarations, topics,
   * bindings, purges, drops, redrives) are refused: their senders get `unavailable`, and the
   * records never land later. Its bookkeeping (acks, receive counts, releases, dead-letter moves)
   * is kept for the next attempt, which starts at the same offset and so overwrites any partial write.
   */
  fail(err: unknown, batch?: Batch): void {
    const space = this.parts.space
    const code = space.failed(err)
    if (batch) {
      const kept = Batch.kept(batch, this.pending)
      this.pending = kept
      batch.settle(new HubqError('unavailable', `the log cannot be written (${code}); nothing was confirmed`, { cause: err }))
      // Bookkeeping, or the metadata written before old segments go, the disk has no room for:
      // give up the reserve and write it there, at once. (Not for compaction: its copies could
      // take all the room the deletes need.)
      const owed = kept.size > 0 || (batch.collection && batch.publishes === 0)
      if (owed && !this.closing && space.giveUpReserve(err)) kept.fresh = true
    }
    this.armRetry()
  }

  /** Tries again after retryMs without waiting for new traffic, so health comes back by itself. */
  armRetry(): void {
    if (this.retryTimer !== undefined || this.closing) return
    this.retryTimer = this.parts.clock.setTimeout(() => {
      this.retryTimer = undefined
      if (this.parts.space.failure !== undefined) {
        this.pending.fresh = true
        // A failed fsync is retried; with nothing to write or sync, a probe write finds out.
        if (this.syncs.dirty) this.syncs.due = true
        else if (this.pending.size === 0) this.probeDue = true
      }
      if (this.parts.space.tight) this.parts.space.reserveDue = true
      this.schedule()
    }, this.parts.retryMs)
  }

  /** Tight: the batch's confirmed records are refused at once (their senders get `unavailable`); its bookkeeping goes on. */
  private refuseConfirmed(batch: Batch): Batch {
    const kept = batch.bookkeeping()
    batch.settle(new HubqError('unavailable', 'the disk is full: nothing was confirmed until acked messages free space', { cause: this.parts.space.failure }))
    this.spare = batch.release() ?? this.spare
    return kept
  }
}
