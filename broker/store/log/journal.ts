// The durable Journal: a segmented append-only log with CRC-framed records and group commit.
//
// Every append lands in the pending batch; once per event-loop turn the batch is written with
// one write and (under fsync=always, when a commit() waits on it) one fdatasync, and every
// commit() waiting on it resolves together. Appends arriving while that runs form the next batch. After a write, the oldest
// segments are collected: deleted once nothing in them is live, or compacted first (their few
// live messages rewritten at the head) — in the crash-safe order write, fsync, unlink, fsync dir.
// A reserve file keeps room for the records a full disk would otherwise leave unwritten (reserve.ts).
import { join } from 'node:path'
import { HubqError } from '../../../shared/errors.js'
import { silentLogger, type Logger } from '../../../shared/logger.js'
import type { FsyncPolicy } from './policy.js'
import type { Journal, JournalRecord, LiveView, LogHandle, LogPosition, PublishRecord, StoredBody } from '../journal.js'
import { FILE_HEADER_BYTES, FORMAT_VERSION, MAX_PAYLOAD_BYTES, RECORD_HEADER_BYTES, decodeRecordAt, encodeFileHeader } from './format.js'
import { FrameBuffer } from './frame-buffer.js'
import { batchFs, makeFolder, nodeFs, syncFolder, type BatchFs, type LogFs } from './fs.js'
import { LiveIndex, type Segment } from './live-index.js'
import { lockFolder } from './lock.js'
import { recover } from './recovery.js'
import { Reserve } from './reserve.js'
import { Batch } from './batch.js'
import { BodyReader } from './body-reader.js'
import { collectable, deadPrefix } from './collection.js'
import { describePolicy } from './policy.js'
import { segmentName } from './segments.js'
import { readCheckpoint, writeCheckpoint, type CheckpointFile } from './checkpoint.js'

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
/**
 * Besides one as each segment starts, a checkpoint is written once this much (or a quarter of a
 * segment, when more) is written since the last: a restart after a crash replays no more.
 */
const CHECKPOINT_MIN_BYTES = 4 * 1024 * 1024
/** Bytes read at once when a queue reads ahead from its backlog (Journal.scan). */
const SCAN_CHUNK_BYTES = 256 * 1024
/**
 * Under `always`, a batch nobody waits on (acks, receive counts, releases: nothing confirmed
 * depends on it) is written at once but fsynced with the next batch that is waited on, or
 * this long after, whichever comes first (PROTOCOL.md §9).
 */
export const UNWAITED_SYNC_MS = 200

export interface LogJournalOptions {
  dir: string
  fsync?: FsyncPolicy
  /** A segment is closed and a new one started once it would grow past this. */
  segmentBytes?: number
  fs?: LogFs
  log?: Logger
  /** After a failed write, how soon to try again without waiting for new traffic. */
  retryMs?: number
  /** Told how long each fsync a commit waited for took (the metrics histogram). */
  fsyncObserver?: { onFsync(seconds: number): void }
}


/** What a failing log writes past its end (and cuts off again) to find out whether writes work again. */
const PROBE = Buffer.alloc(4096)

function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

export class LogJournal implements Journal {
  readonly description: string
  private readonly dir: string
  private readonly policy: FsyncPolicy
  private readonly segmentBytes: number
  private readonly fs: LogFs
  /** The same file system's write and fsync by callback, for the batches. */
  private readonly batchFs: BatchFs
  private readonly log: Logger
  private readonly retryMs: number
  private readonly fsyncObserver: { onFsync(seconds: number): void } | undefined
  private readonly index = new LiveIndex()
  private live: LiveView | undefined
  private segments: Segment[] = []
  private fd = -1
  private nextId = 1
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
  private failure: unknown
  /** Keeps room for what the log owes its live messages (reserve.ts). */
  private readonly reserve: Reserve
  /**
   * The reserve was given up to a full disk: bookkeeping is written into its room, confirmed
   * records are refused, and the active segment may be closed early so that collection can free it.
   */
  private tight = false
  /** A write met a full disk since collection last freed a segment: the active segment may be closed early. */
  private diskFull = false
  /** Metadata bytes of the last removal: the next one will need about as many. */
  private metadataBytes = 0
  /** Tasks for the writer: give up the reserve, make it again, find out whether a failing disk writes again. */
  private releaseDue = false
  private reserveDue = false
  private probeDue = false
  private retryTimer: NodeJS.Timeout | undefined
  private syncTimer: NodeJS.Timeout | undefined
  /** Under `always`: the fsync due for a write nobody waited on (see UNWAITED_SYNC_MS). */
  private lazySyncTimer: NodeJS.Timeout | undefined
  /** Commits that found everything written but not yet fsynced: settled by the next sync. */
  private syncWaiter: Batch | undefined
  private dirty = false
  private syncDue = false
  private closing = false
  private closed = false
  private unlock: (() => Promise<void>) | undefined
  /** No compaction before this time (epoch ms): the last attempt met a message still changing. */
  private compactAfter = 0
  /** Set when the file system can read synchronously (see Journal.readBody). */
  readonly readBody: ((handle: LogHandle) => StoredBody | undefined) | undefined
  readonly scan: Journal['scan']
  readonly position: Journal['position']
  private readonly bodies: BodyReader | undefined
  private scanBuffer: Buffer | undefined
  /**
   * A segment rolled, a quarter of a segment (CHECKPOINT_MIN_BYTES at least) was written, or the
   * log was replayed whole since the last checkpoint: the next batch writes one (a restart after a crash replays at most that much).
   */
  private checkpointDue = false
  private sinceCheckpoint = 0

  constructor(options: LogJournalOptions) {
    this.dir = options.dir
    this.policy = options.fsync ?? { mode: 'always' }
    this.segmentBytes = Math.max(options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, 4096)
    this.fs = options.fs ?? nodeFs
    this.batchFs = batchFs(this.fs)
    this.log = options.log ?? silentLogger
    this.retryMs = options.retryMs ?? 1000
    this.fsyncObserver = options.fsyncObserver
    this.description = `log in ${this.dir} (fsync ${describePolicy(this.policy)}, segments of ${this.segmentBytes} bytes)`
    this.reserve = new Reserve(this.fs, this.dir)
    const fs = this.fs
    const bodies = BodyReader.canRead(fs) ? new BodyReader(fs, this.log) : undefined
    this.bodies = bodies
    this.readBody = bodies ? (handle) => (this.closed ? undefined : bodies.bodyAt(handle)) : undefined
    this.scan = bodies ? (from, until, visit) => this.scanFrom(bodies, from, until, visit) : undefined
    this.position = bodies ? (handle) => ({ segment: (handle.where as Segment).id, at: handle.at }) : undefined
  }

  /**
   * Journal.scan: reads forward from `from` (a segment that is gone since is passed by: the
   * next one still here goes on) in chunks, stepping over bytes that hold no valid record as
   * start-up does.
   */
  private scanFrom(
    bodies: BodyReader, from: LogHandle, until: LogPosition | undefined, visit: (record: PublishRecord, where: unknown, at: number) => boolean,
  ): LogHandle {
    if (this.closed) throw new HubqError('unavailable', 'the log is closed')
    const segments = this.segments
    const first = from.where as Segment
    let index = 0
    while (index < segments.length && (segments[index] as Segment).id < first.id) index++
    let segment = segments[index]
    if (segment === undefined) return from
    let at = segment === first ? from.at : FILE_HEADER_BYTES
    for (;;) {
      let limit = segment.size
      if (until !== undefined) {
        if (segment.id > until.segment) return { where: segment, at }
        if (segment.id === until.segment) limit = Math.min(limit, until.at)
      }
      if (at >= limit) {
        const next = segments[index + 1]
        if (next === undefined || (until !== undefined && segment.id === until.segment)) return { where: segment, at }
        segment = next
        index++
        at = FILE_HEADER_BYTES
        continue
      }
      let data = (this.scanBuffer ??= Buffer.allocUnsafeSlow(SCAN_CHUNK_BYTES))
      let length = bodies.read(segment, at, data, Math.min(data.length, limit - at))
      if (length >= RECORD_HEADER_BYTES) {
        const size = RECORD_HEADER_BYTES + data.readUInt32BE(0)
        if (size > length && size <= limit - at && size <= MAX_PAYLOAD_BYTES + RECORD_HEADER_BYTES) {
          data = Buffer.allocUnsafe(size)
          length = bodies.read(segment, at, data, size)
        }
      }
      if (length === 0) return { where: segment, at }
      const read = length === data.length ? data : data.subarray(0, length)
      let offset = 0
      while (offset + RECORD_HEADER_BYTES <= length) {
        const size = RECORD_HEADER_BYTES + data.readUInt32BE(offset)
        if (offset + size > length && offset > 0) break
        const record = offset + size <= length ? decodeRecordAt(read, offset, true) : undefined
        if (record === undefined) {
          // No valid record here (damage start-up reported): look for the next one byte by byte.
          offset++
          continue
        }
        offset += size
        if (record.type === 'publish' && !visit(record, segment, at + offset - size)) return { where: segment, at: at + offset }
      }
      if (offset === 0) offset = length
      at += offset
    }
  }

  /** The handle of a position (LiveView.restore): undefined when its segment is gone, unless `forward`. */
  private handleAt(position: LogPosition, forward: boolean): LogHandle | undefined {
    for (const segment of this.segments) {
      if (segment.id === position.segment) return { where: segment, at: position.at }
      if (segment.id > position.segment) return forward ? { where: segment, at: FILE_HEADER_BYTES } : undefined
    }
    return undefined
  }

  private readonly positionOf = (handle: LogHandle): LogPosition | undefined => {
    const segment = handle.where as Segment | undefined
    return segment === undefined ? undefined : { segment: segment.id, at: handle.at }
  }

  /** Checkpoints need the store's part and segments whose bodies can be read back one by one (version 2 on). */
  private canCheckpoint(): boolean {
    if (this.live?.checkpoint === undefined || this.bodies === undefined) return false
    for (const segment of this.segments) if (segment.version !== undefined && segment.version < 2) return false
    return true
  }

  /** The store's state, as `finish` tells it now, with the log's end as its position; undefined when it cannot be told. */
  private checkpointFile(finish: (position: (handle: LogHandle) => LogPosition | undefined) => unknown): CheckpointFile | undefined {
    const store = finish(this.positionOf)
    if (store === undefined) return undefined
    const active = this.active
    return {
      position: { segment: active.id, at: active.size },
      segments: this.segments.map(({ id, size, entries, metadata, version }) => ({ id, size, entries, metadata, ...(version !== undefined ? { version } : {}) })),
      store,
    }
  }

  /** The batch taken with the checkpoint's state is written and fsynced: the checkpoint goes beside it. */
  private afterCheckpointBatch(ok: boolean, finish: (position: (handle: LogHandle) => LogPosition | undefined) => unknown): void {
    if (!ok) {
      this.checkpointDue = true
      return this.afterStep(false)
    }
    const file = this.checkpointFile(finish)
    if (file === undefined) return this.afterStep(true)
    writeCheckpoint(this.fs, this.dir, file).then(
      () => this.afterStep(true),
      (err: unknown) => {
        this.log.error({ err, dir: this.dir }, 'log: could not write a checkpoint; the next segment will try again')
        this.afterStep(true)
      },
    )
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1] as Segment
  }

  async open(
    replay: (record: JournalRecord, where?: unknown, at?: number) => void, live: LiveView, options: { bodiesLater?: boolean } = {},
  ): Promise<void> {
    this.live = live
    await makeFolder(this.fs, this.dir)
    this.unlock = await lockFolder(this.fs, this.dir)
    const started = Date.now()
    const bodiesLater = options.bodiesLater === true && this.readBody !== undefined
    const checkpoint = this.bodies !== undefined && live.restore !== undefined ? await readCheckpoint(this.fs, this.dir, this.log) : undefined
    let loaded = false
    const startFrom = checkpoint && {
      file: checkpoint,
      load: () => {
        loaded = true
        live.restore?.(checkpoint.store, (position, forward) => this.handleAt(position, forward === true))
      },
    }
    const recovered = await recover(this.fs, this.dir, this.log, replay, this.index, bodiesLater, this.segments, startFrom)
    // A log replayed whole writes a checkpoint with its next batch.
    this.checkpointDue = !loaded
    this.index.handOver(live)
    this.segments = recovered.segments
    this.nextId = recovered.lastId + 1
    const last = this.segments[this.segments.length - 1]
    // A file of an older format version is left as it is (an older hubq can still read it): appends start a new one.
    if (last && last.id === recovered.lastId && recovered.lastVersion === FORMAT_VERSION) {
      this.fd = await this.fs.open(last.path, 'r+')
    } else {
      await this.startSegment()
    }
    this.log.info({ segments: this.segments.length, records: recovered.records, ms: Date.now() - started, checkpoint: loaded },
      `log: replayed ${recovered.records} records from ${this.segments.length} segments in ${this.dir}` +
      (loaded ? ` after the checkpoint at segment ${checkpoint?.position.segment}` : ''))
    try {
      await this.reserve.hold(this.owed(0))
    } catch (err) {
      await this.reserve.release()
      this.goTight(err)
      this.armRetry()
    }
    if (this.policy.mode === 'interval') {
      this.syncTimer = setInterval(() => {
        this.syncDue = true
        this.schedule()
      }, this.policy.ms)
      this.syncTimer.unref()
    }
    this.schedule()
  }

  append(record: JournalRecord): void {
    if (this.closed) throw new HubqError('unavailable', 'the log is closed')
    this.pending.add(record)
    this.pending.fresh = true
    this.schedule()
  }

  commit(): Promise<void> {
    if (this.pending.size > 0) return this.pending.done()
    if (this.inFlight) return this.inFlight.done()
    // Everything is written, but a write nobody waited on may still lack its fsync.
    if (this.dirty && this.policy.mode === 'always') {
      this.syncDue = true
      this.schedule()
      return (this.syncWaiter ??= new Batch()).done()
    }
    return Promise.resolve()
  }

  writable(): boolean {
    return this.failure === undefined && !this.tight && !this.closed
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closing = true
    if (this.syncTimer) clearInterval(this.syncTimer)
    if (this.lazySyncTimer) clearTimeout(this.lazySyncTimer)
    if (this.retryTimer) clearTimeout(this.retryTimer)
    while (this.busy || (this.pending.size > 0 && this.failure === undefined)) {
      this.pump()
      await this.whenIdle()
    }
    let synced = this.failure === undefined
    if (this.fd >= 0) {
      try {
        if (this.dirty) await this.fs.fdatasync(this.fd)
        this.dirty = false
      } catch (err) {
        synced = false
        this.log.error({ err }, 'log: final fsync failed')
      }
    }
    // Everything is written: a checkpoint at the end, so that the next start replays nothing.
    if (synced && this.fd >= 0 && this.canCheckpoint()) {
      const finish = (this.live as LiveView).checkpoint?.()
      const file = finish && this.checkpointFile(finish)
      if (file) await writeCheckpoint(this.fs, this.dir, file).catch((err: unknown) => this.log.error({ err }, 'log: could not write the last checkpoint'))
    }
    this.closed = true
    this.bodies?.forgetAll()
    await this.reserve.close()
    if (this.fd < 0) return
    await this.fs.close(this.fd)
    this.fd = -1
    await this.unlock?.()
  }

  // ---- the writer: one task at a time ------------------------------------------------------
  //
  // Driven by callbacks rather than an async loop: a batch is written every turn or two under
  // steady traffic, and an async function per step costs a promise and a suspended frame each
  // (young garbage that shows up as scavenge pauses in delivery latency).

  private schedule(): void {
    if (this.scheduled || this.busy || this.fd < 0) return
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
    if (this.releaseDue) {
      this.releaseDue = false
      void this.reserve.release().then(() => this.step())
      return
    }
    // Before the pending batch: once the reserve is whole again, its confirmed records are taken.
    if (this.reserveDue) {
      this.reserveDue = false
      if (this.tight) return void this.remakeReserve().then(this.afterStep)
    }
    if (this.pending.size > 0 && (this.pending.fresh || this.failure === undefined)) {
      let batch = this.pending
      this.pending = new Batch(this.spare)
      this.spare = undefined
      if (this.tight && batch.confirmed > 0) {
        batch = this.refuseConfirmed(batch)
        if (batch.size === 0) return this.step()
      } else if (!this.tight && batch.publishes > 0 && this.reserve.size < this.owed(batch.publishes)) {
        // In flight already, so that a commit() meanwhile waits for it.
        this.inFlight = batch
        this.reserve.hold(this.owed(batch.publishes)).then(
          () => this.writeBatch(batch, false, this.afterStep),
          (err: unknown) => {
            // No room to keep for these messages' deletes: they are refused, nothing was written.
            this.fail(err, batch)
            this.inFlight = undefined
            this.spare = batch.release() ?? this.spare
            this.afterStep(false)
          },
        )
        return
      }
      if (this.checkpointDue && this.canCheckpoint()) {
        // The state now is the log's once this batch is written: fsynced, a checkpoint goes beside it.
        this.checkpointDue = false
        this.sinceCheckpoint = 0
        const finish = (this.live as LiveView).checkpoint?.() as (position: (handle: LogHandle) => LogPosition | undefined) => unknown
        this.writeBatch(batch, true, (ok) => this.afterCheckpointBatch(ok, finish))
        return
      }
      this.writeBatch(batch, false, this.afterStep)
      return
    }
    if (this.syncDue) {
      this.syncDue = false
      const waiter = this.syncWaiter
      this.syncWaiter = undefined
      const synced = this.dirty ? this.syncActive() : Promise.resolve(true)
      void synced.then((ok) => {
        waiter?.settle(ok ? undefined : new HubqError('unavailable', 'the log cannot be fsynced; nothing was confirmed', { cause: this.failure }))
        this.afterStep(ok)
      })
      return
    }
    if (this.probeDue) {
      this.probeDue = false
      if (this.failure !== undefined && this.pending.size === 0) return void this.probe().then(this.afterStep)
    }
    if (this.closing || !this.collectable()) return this.stop()
    void this.collect().then(this.afterStep)
  }

  private readonly afterStep = (more: boolean): void => {
    if (more) this.step()
    else this.stop()
  }

  private stop(): void {
    this.busy = false
    if (this.idleWaiters.length > 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
    if ((this.pending.fresh && this.pending.size > 0) || this.syncDue || this.releaseDue || this.reserveDue || this.probeDue) {
      if (!this.closed) this.schedule()
    }
  }

  /** Writes a batch at the end of the active segment; false (and the batch refused) on an I/O error. */
  private write(batch: Batch, forceSync: boolean): Promise<boolean> {
    return new Promise((resolve) => this.writeBatch(batch, forceSync, resolve))
  }

  /** As write, telling `done`; the batch's place and mode are kept in fields while it is in flight. */
  private writeBatch(batch: Batch, forceSync: boolean, done: (ok: boolean) => void): void {
    this.inFlight = batch
    this.writeForced = forceSync
    this.writeDone = done
    const start = this.active.size
    this.writeStart = start
    if (start > FILE_HEADER_BYTES && start + batch.bytes > this.segmentBytes) {
      this.roll().then(() => {
        this.writeStart = FILE_HEADER_BYTES
        this.batchFs.write(this.fd, batch.data(), FILE_HEADER_BYTES, this.onWritten)
      }, this.onWriteFailed)
      return
    }
    this.batchFs.write(this.fd, batch.data(), start, this.onWritten)
  }

  private readonly onWritten = (err: unknown): void => {
    if (err) return this.onWriteFailed(err)
    const batch = this.inFlight as Batch
    // Decided after the write: a commit() made while it ran is waited on too.
    if (this.writeForced || (this.policy.mode === 'always' && batch.waited)) {
      this.syncBegan = performance.now()
      this.batchFs.fdatasync(this.fd, this.onSynced)
      return
    }
    this.dirty = true
    if (this.policy.mode === 'always') this.syncSoon()
    this.written()
  }

  private readonly onSynced = (err: unknown): void => {
    if (err) return this.onWriteFailed(err)
    this.dirty = false
    this.fsyncObserver?.onFsync((performance.now() - this.syncBegan) / 1000)
    this.written()
  }

  /** The batch is in the file (and synced when it had to be): its records take effect, its waiters settle. */
  private written(): void {
    const batch = this.inFlight as Batch
    const done = this.writeDone as (ok: boolean) => void
    this.inFlight = undefined
    this.writeDone = undefined
    const active = this.active
    active.size = this.writeStart + batch.bytes
    this.index.applyAll(batch.records, active, batch.data(), this.writeStart)
    this.sinceCheckpoint += batch.bytes
    if (this.sinceCheckpoint >= Math.max(this.segmentBytes / 4, CHECKPOINT_MIN_BYTES)) this.checkpointDue = true
    this.spare = batch.release() ?? this.spare
    this.recovered()
    batch.settle()
    done(true)
  }

  private readonly onWriteFailed = (err: unknown): void => {
    const batch = this.inFlight as Batch
    const done = this.writeDone as (ok: boolean) => void
    // Drop any part of the batch that did reach the file: refused records must not come back.
    // The batch stays in flight until it is settled, so a commit() meanwhile waits for the verdict.
    void this.fs.ftruncate(this.fd, this.writeStart).catch(() => undefined).then(() => {
      this.writeDone = undefined
      this.fail(err, batch)
      this.inFlight = undefined
      this.spare = batch.release() ?? this.spare
      done(false)
    })
  }

  /** Arms the fsync of an unwaited write: it rides along with the next waited batch, or comes by this timer. */
  private syncSoon(): void {
    if (this.lazySyncTimer || this.closing) return
    this.lazySyncTimer = setTimeout(() => {
      this.lazySyncTimer = undefined
      if (!this.dirty) return
      this.syncDue = true
      this.schedule()
    }, UNWAITED_SYNC_MS)
  }

  private async syncActive(): Promise<boolean> {
    try {
      await this.fs.fdatasync(this.fd)
      this.dirty = false
      this.recovered()
      return true
    } catch (err) {
      this.fail(err, undefined)
      return false
    }
  }

  /**
   * An I/O error: the batch's confirmed records (isConfirmed: publishes, declarations, topics,
   * bindings, purges, drops, redrives) are refused: their senders get `unavailable`, and the
   * records never land later. Its bookkeeping (acks, receive counts, releases, dead-letter moves)
   * is kept for the next attempt, which starts at the same offset and so overwrites any partial write.
   */
  private fail(err: unknown, batch: Batch | undefined): void {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    if (this.failure === undefined) {
      this.log.error({ err, dir: this.dir }, `log: write failed (${code}): publishes are refused with 'unavailable' until writes succeed again`)
    }
    this.failure = err
    if (isDiskFull(err)) this.diskFull = true
    if (batch) {
      const kept = batch.collection ? new Batch() : batch.bookkeeping()
      this.pending.forEachFrame((record, frame) => kept.addEncoded(record, frame))
      kept.fresh = this.pending.fresh
      const waiting = this.pending
      this.pending = kept
      // Commits already waiting on the newer batch now wait on the merged one.
      if (waiting.size > 0) kept.done().then(() => waiting.settle(), (e: unknown) => waiting.settle(e))
      batch.settle(new HubqError('unavailable', `the log cannot be written (${code}); nothing was confirmed`, { cause: err }))
      // Bookkeeping, or the metadata written before old segments go, the disk has no room for:
      // give up the reserve and write it there, at once. (Not for compaction: its copies could
      // take all the room the deletes need.)
      const owed = kept.size > 0 || (batch.collection && batch.publishes === 0)
      if (isDiskFull(err) && owed && !this.tight && !this.closing) {
        this.goTight(err)
        this.releaseDue = true
        kept.fresh = true
      }
    }
    this.armRetry()
  }

  /** Tries again after retryMs without waiting for new traffic, so health comes back by itself. */
  private armRetry(): void {
    if (this.retryTimer || this.closing) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (this.failure !== undefined) {
        this.pending.fresh = true
        // A failed fsync is retried; with nothing to write or sync, a probe write finds out.
        if (this.dirty) this.syncDue = true
        else if (this.pending.size === 0) this.probeDue = true
      }
      if (this.tight) this.reserveDue = true
      this.schedule()
    }, this.retryMs)
    this.retryTimer.unref()
  }

  private goTight(err: unknown): void {
    this.tight = true
    this.diskFull = true
    this.log.error({ err, dir: this.dir },
      'log: the disk is full: the reserve is given up for acks and bookkeeping; publishes and declarations are refused until acked messages free space')
  }

  private recovered(): void {
    if (this.failure === undefined) return
    this.failure = undefined
    if (this.tight) this.log.info({ dir: this.dir }, 'log: writes succeed again (bookkeeping only until space is freed)')
    else this.log.info({ dir: this.dir }, 'log: writes succeed again; publishes are accepted')
  }

  /** Bytes the log owes its live messages, with `more` to come (see Reserve). */
  private owed(more: number): number {
    let live = more
    for (const segment of this.segments) live += segment.live
    return Reserve.owed(live, this.metadataBytes)
  }

  /** Tight: the batch's confirmed records are refused at once (their senders get `unavailable`); its bookkeeping goes on. */
  private refuseConfirmed(batch: Batch): Batch {
    const kept = batch.bookkeeping()
    batch.settle(new HubqError('unavailable', 'the disk is full: nothing was confirmed until acked messages free space', { cause: this.failure }))
    this.spare = batch.release() ?? this.spare
    return kept
  }

  /** Tight: space was freed (or may have been); once the reserve is whole again, confirmed records are taken again. */
  private async remakeReserve(): Promise<boolean> {
    try {
      await this.reserve.hold(this.owed(0))
    } catch {
      await this.reserve.release()
      this.armRetry()
      return true
    }
    this.tight = false
    this.log.info({ dir: this.dir, reserve: this.reserve.size }, 'log: space is free again and the reserve is made again; publishes are accepted')
    return true
  }

  /** Failing, with nothing to write: write past the end, sync, and cut it off again; success means writes work. */
  private async probe(): Promise<boolean> {
    const at = this.active.size
    try {
      await this.fs.write(this.fd, PROBE, at)
      await this.fs.fdatasync(this.fd)
      await this.fs.ftruncate(this.fd, at)
      this.recovered()
    } catch (err) {
      await this.fs.ftruncate(this.fd, at).catch(() => undefined)
      this.fail(err, undefined)
    }
    return true
  }

  /** Closes the active segment and starts the next; the new file and its directory entry are synced first. */
  private async roll(): Promise<void> {
    const previous = this.fd
    await this.fs.fdatasync(previous)
    await this.startSegment()
    this.checkpointDue = true
    this.dirty = false
    await this.fs.close(previous).catch(() => undefined)
  }

  private async startSegment(): Promise<void> {
    const id = this.nextId
    const path = join(this.dir, segmentName(id))
    const fd = await this.fs.open(path, 'w')
    try {
      await this.fs.write(fd, encodeFileHeader(), 0)
      await this.fs.fdatasync(fd)
      await this.syncDir()
    } catch (err) {
      await this.fs.close(fd).catch(() => undefined)
      throw err
    }
    this.nextId = id + 1
    this.fd = fd
    this.segments.push({ id, path, size: FILE_HEADER_BYTES, entries: 0, live: 0, metadata: false, version: FORMAT_VERSION })
  }

  /** Makes the names created, renamed or removed in a folder (the log's own by default) durable. */
  private syncDir(dir = this.dir): Promise<void> {
    return syncFolder(this.fs, dir)
  }

  // ---- space: delete dead segments, compact nearly dead ones -----------------------------

  /** One step of collection; true when it did something and another step may be due. */
  private async collect(): Promise<boolean> {
    if (!this.collectable()) return false
    // Let the store place what the last write confirmed, so its view matches the index.
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (this.closing || this.failure !== undefined || !this.collectable()) return false
    if (this.segments[0] === this.active) return this.rollEarly()
    const dead = deadPrefix(this.segments)
    if (dead.length > 0) return this.remove(dead)
    return this.compact(this.segments[0] as Segment)
  }

  private collectable(): boolean {
    return collectable({
      segments: this.segments, segmentBytes: this.segmentBytes, diskFull: this.diskFull, tight: this.tight, compactAfter: this.compactAfter,
    }, Date.now())
  }

  /** The disk was found full: closes the active segment, mostly dead, so that collection can free it. */
  private async rollEarly(): Promise<boolean> {
    try {
      await this.roll()
    } catch (err) {
      this.fail(err, undefined)
      return false
    }
    this.log.info({ file: (this.segments[this.segments.length - 2] as Segment).path }, 'log: the disk is full: the active segment is closed early so that it can be freed')
    return true
  }

  private async compact(oldest: Segment): Promise<boolean> {
    const live = this.live as LiveView
    const held = live.heldAt(oldest)
    // A record that ends or moves one of them is still pending (the store has let it go, the
    // count has not caught up), the store does not hold one the log counts, or a body cannot be
    // read: its data must stay where it is for now. The counts are compared before any body is read.
    const later = (): boolean => {
      this.compactAfter = Date.now() + 1000
      return false
    }
    if (held.length !== oldest.live) return later()
    const batch = new Batch()
    batch.collection = true
    for (const handle of held) {
      const snapshot = live.snapshot(handle)
      if (!snapshot) return later()
      batch.add(snapshot)
    }
    const moved = batch.size
    if (!(await this.write(batch, true))) return false
    this.log.info({ file: oldest.path, moved }, `log: compacted ${oldest.path}: ${moved} live messages rewritten at the head`)
    return true
  }

  private async remove(dead: Segment[]): Promise<boolean> {
    // Queue settings, topics and bindings in these files must outlive them, and the stats
    // counters their records add up to: write them again first. The counters are taken from
    // memory, which already counts what is appended and not yet written: that goes first, or
    // replay would count it twice (once in the counters, once after them).
    while (this.pending.size > 0) {
      if (this.failure !== undefined) return false
      const pending = this.pending
      this.pending = new Batch(this.spare)
      this.spare = undefined
      if (!(await this.write(pending, false))) return false
    }
    const batch = new Batch()
    batch.collection = true
    for (const record of (this.live as LiveView).metadata()) batch.add(record)
    this.metadataBytes = batch.bytes
    if (batch.size > 0 && !(await this.write(batch, true))) return false
    try {
      // Oldest first, each unlink made durable before the next: a crash leaves a suffix of the
      // log, never a later file without the earlier one its delete records refer to.
      for (const segment of dead) {
        await this.fs.unlink(segment.path)
        await this.syncDir()
        this.segments.shift()
        this.bodies?.forget(segment)
      }
    } catch (err) {
      this.log.error({ err }, 'log: could not remove an old segment; will try again later')
      return false
    }
    this.diskFull = false
    if (this.tight) this.reserveDue = true
    else await this.reserve.trim(this.owed(0))
    return true
  }
}
