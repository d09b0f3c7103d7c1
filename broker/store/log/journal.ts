// The durable Journal: a segmented append-only log with CRC-framed records and group commit.
//
// This file opens and closes the log and wires its parts together:
//   segments.ts     the segment files: names, the active one, roll, removal
//   writer.ts       batches and group commit, the writer's tasks, what a failing write does
//   fsync.ts        when the writer fsyncs beyond a waited batch (the fsync policy's timers)
//   space.ts        the reserve and the full-disk (tight) state, the failing log's probe
//   collector.ts    dead segments deleted, nearly dead ones compacted (decided in collection.ts)
//   checkpointer.ts when a checkpoint is written and what goes in it (the file: checkpoint.ts)
//   live-index.ts   live messages per segment: the one reading of what records do to them
//   seq-index.ts, locate.ts  the log's own index: each publish record by its seq
//   recovery.ts     start-up: the segments read back, torn tails cut, damage reported
//   body-reader.ts, scan.ts  bodies read back one by one, and a backlog read ahead in chunks
import { systemClock, type Clock } from '../../../shared/clock.js'
import { HubqError } from '../../../shared/errors.js'
import { silentLogger, type Logger } from '../../../shared/logger.js'
import type { FsyncPolicy } from './policy.js'
import type { About, Journal, JournalRecord, LiveView, LogHandle, StoredBody } from '../journal.js'
import { FORMAT_VERSION } from './format.js'
import { batchFs, makeFolder, nodeFs, type LogFs } from './fs.js'
import { LiveIndex, type Segment } from './live-index.js'
import { SeqIndex } from './seq-index.js'
import { Locator } from './locate.js'
import { lockFolder } from './lock.js'
import { recover } from './recovery.js'
import { BodyReader } from './body-reader.js'
import { describePolicy } from './policy.js'
import { SegmentFiles } from './segments.js'
import { readCheckpoint } from './checkpoint.js'
import { Checkpointer } from './checkpointer.js'
import { Scanner } from './scan.js'
import { Space } from './space.js'
import { Writer } from './writer.js'

export { UNWAITED_SYNC_MS } from './fsync.js'

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024

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
  /** Runs the log's timers (fsync schedule, retry after a failed write); the system clock by default. */
  clock?: Clock
}

export class LogJournal implements Journal {
  readonly description: string
  private readonly dir: string
  private readonly fs: LogFs
  private readonly log: Logger
  private readonly index: LiveIndex
  private readonly seqs: SeqIndex
  private readonly files: SegmentFiles
  private readonly space: Space
  private readonly checkpoints: Checkpointer
  private readonly writer: Writer
  private readonly bodies: BodyReader | undefined
  private unlock: (() => Promise<void>) | undefined
  /** Set when the file system can read synchronously (see Journal.readBody). */
  readonly readBody: ((seq: number) => StoredBody | undefined) | undefined
  readonly locate: ((seq: number) => LogHandle | undefined) | undefined
  readonly locateExact: (seq: number, out: LogHandle) => boolean
  readonly scan: Journal['scan']
  readonly position: Journal['position']

  constructor(options: LogJournalOptions) {
    const dir = (this.dir = options.dir)
    const policy = options.fsync ?? { mode: 'always' }
    const segmentBytes = Math.max(options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, 4096)
    const fs = (this.fs = options.fs ?? nodeFs)
    const log = (this.log = options.log ?? silentLogger)
    this.description = `log in ${dir} (fsync ${describePolicy(policy)}, segments of ${segmentBytes} bytes)`
    const bodies = BodyReader.canRead(fs) ? new BodyReader(fs, log) : undefined
    this.bodies = bodies
    const files = (this.files = new SegmentFiles(fs, dir))
    const seqs = (this.seqs = new SeqIndex(files))
    const found = bodies && new Locator(seqs, bodies, log)
    files.seqs = seqs
    this.index = new LiveIndex(seqs)
    this.space = new Space(fs, dir, log, files)
    const reader = found
    const locate = reader && ((seq: number): LogHandle | undefined => (this.writer.closed ? undefined : reader.locate(seq)))
    this.locate = locate
    this.locateExact = (seq, out) => !this.writer.closed && seqs.exact(seq, out)
    this.checkpoints = new Checkpointer(fs, dir, log, files, bodies, segmentBytes, seqs, locate)
    this.writer = new Writer({
      fs, batchFs: batchFs(fs), log, policy, segmentBytes, retryMs: options.retryMs ?? 1000, fsyncObserver: options.fsyncObserver,
      clock: options.clock ?? systemClock,
      files, index: this.index, space: this.space, checkpoints: this.checkpoints, bodies,
    })
    this.readBody = bodies && found ? (seq) => {
      const handle = locate?.(seq)
      return handle && bodies.bodyAt(handle.where as Segment, handle.at)
    } : undefined
    const scanner = bodies && found && new Scanner(bodies, (segment, at) => found.seqAt(segment, at))
    this.scan = scanner ? (from, until, visit) => {
      if (this.writer.closed) throw new HubqError('unavailable', 'the log is closed')
      return scanner.scan(this.files.list, from, until, visit)
    } : undefined
    this.position = bodies ? (handle) => ({ segment: (handle.where as Segment).id, at: handle.at }) : undefined
  }

  async open(
    replay: (record: JournalRecord, where?: unknown, at?: number) => void, live: LiveView, options: { bodiesLater?: boolean } = {},
  ): Promise<void> {
    this.writer.live = live
    this.checkpoints.live = live
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
        live.restore?.(checkpoint.store, (position, forward) => this.files.handleAt(position, forward === true), (seq) => this.seqs.fileOf(seq) !== undefined)
      },
    }
    const files = this.files
    const recovered = await recover(this.fs, this.dir, this.log, replay, this.index, bodiesLater, files.list, startFrom)
    // A log replayed whole writes a checkpoint with its next batch.
    this.checkpoints.due = !loaded
    this.index.handOver(live)
    files.list = recovered.segments
    files.nextId = recovered.lastId + 1
    const last = files.list[files.list.length - 1]
    // A file of an older format version is left as it is (an older hubq can still read it): appends start a new one.
    await files.resume(last !== undefined && last.id === recovered.lastId && recovered.lastVersion === FORMAT_VERSION)
    this.log.info({ segments: files.list.length, records: recovered.records, ms: Date.now() - started, checkpoint: loaded },
      `log: replayed ${recovered.records} records from ${files.list.length} segments in ${this.dir}` +
      (loaded ? ` after the checkpoint at segment ${checkpoint?.position.segment}` : ''))
    if (!(await this.space.hold())) this.writer.armRetry()
    this.writer.start()
    this.writer.schedule()
  }

  append(record: JournalRecord, about?: About): void {
    if (this.writer.closed) throw new HubqError('unavailable', 'the log is closed')
    // Handed out here, whether or not the record is written in the end: a seq is never handed out twice.
    if (record.type === 'publish') record.seq = this.seqs.take()
    this.writer.append(record, about)
  }

  commit(): Promise<void> {
    return this.writer.commit()
  }

  writable(): boolean {
    return this.writer.writable()
  }

  async close(): Promise<void> {
    if (this.writer.closed) return
    const synced = await this.writer.finish()
    // Everything is written: a checkpoint at the end, so that the next start replays nothing.
    if (synced && this.files.fd >= 0) await this.checkpoints.last()
    this.writer.closed = true
    this.bodies?.forgetAll()
    await this.space.reserve.close()
    if (this.files.fd < 0) return
    await this.files.close()
    await this.unlock?.()
  }
}
