// The log's segment files: their names, the scan that opens a log folder (which numbered files
// there are, in order), and the open set (SegmentFiles): the list oldest first, the active one's
// file descriptor, starting, rolling and removing files in the crash-safe order.
import { join } from 'node:path'
import type { LogHandle, LogPosition } from '../journal.js'
import { FILE_HEADER_BYTES, FORMAT_VERSION, encodeFileHeader, headerBytes } from './format.js'
import { syncFolder, type LogFs } from './fs.js'
import type { Segment } from './live-index.js'
import { SegmentSeqs, type SeqIndex } from './seq-index.js'

const NAME = /^(\d{16})\.log$/

export function segmentName(id: number): string {
  return `${String(id).padStart(16, '0')}.log`
}

export async function listSegments(fs: LogFs, dir: string): Promise<{ id: number; path: string }[]> {
  const out: { id: number; path: string }[] = []
  for (const name of await fs.readdir(dir)) {
    const match = NAME.exec(name)
    if (match) out.push({ id: Number(match[1]), path: join(dir, name) })
  }
  return out.sort((a, b) => a.id - b.id)
}

/** The segments of an open log, oldest first; the last one (active) takes the appends through `fd`. */
export class SegmentFiles {
  list: Segment[] = []
  /** The active segment's file, open for writing; -1 before open and after close. */
  fd = -1
  nextId = 1
  /** The log's seq index (set once both are made): a new file's header names the seq it hands out next. */
  seqs!: SeqIndex

  constructor(private readonly fs: LogFs, private readonly dir: string) {}

  get active(): Segment {
    return this.list[this.list.length - 1] as Segment
  }

  /** Messages live in all of them (what the reserve must cover, see Reserve). */
  live(): number {
    let live = 0
    for (const segment of this.list) live += segment.live
    return live
  }

  /**
   * Starts the next segment: its header and its directory entry are synced before it takes
   * appends. Its native range starts after the last seq written: a publish appended and not yet
   * written when it starts (waiting behind a compaction, or the batch it is started for) is native to it.
   */
  async start(): Promise<void> {
    const firstSeq = this.seqs.written + 1
    const id = this.nextId
    const path = join(this.dir, segmentName(id))
    const fd = await this.fs.open(path, 'w')
    try {
      await this.fs.write(fd, encodeFileHeader(firstSeq), 0)
      await this.fs.fdatasync(fd)
      await this.syncDir()
    } catch (err) {
      await this.fs.close(fd).catch(() => undefined)
      throw err
    }
    this.nextId = id + 1
    this.fd = fd
    this.list.push({
      id, path, size: FILE_HEADER_BYTES, entries: 0, live: 0, metadata: false, version: FORMAT_VERSION, firstSeq, seqs: new SegmentSeqs(),
    })
  }

  /** Opens the last segment for appends again, or starts a new one when it may not (`appendable`). */
  async resume(appendable: boolean): Promise<void> {
    const last = this.list[this.list.length - 1]
    if (last && appendable) this.fd = await this.fs.open(last.path, 'r+')
    else await this.start()
  }

  /**
   * Closes the active segment and starts the next: the old file is synced, the new one made
   * (`started` is told then), and the old one closed.
   */
  async roll(started: () => void): Promise<void> {
    const previous = this.fd
    await this.fs.fdatasync(previous)
    await this.start()
    started()
    await this.fs.close(previous).catch(() => undefined)
  }

  /**
   * Removes the oldest segments, `dead`, oldest first, each unlink made durable before the next:
   * a crash leaves a suffix of the log, never a later file without the earlier one its delete
   * records refer to. `gone` is told of each.
   */
  async removeOldest(dead: readonly Segment[], gone: (segment: Segment) => void): Promise<void> {
    for (const segment of dead) {
      await this.fs.unlink(segment.path)
      await this.syncDir()
      this.list.shift()
      this.seqs.forget(segment)
      gone(segment)
    }
  }

  /** Makes the names created, renamed or removed in the log's folder durable. */
  syncDir(): Promise<void> {
    return syncFolder(this.fs, this.dir)
  }

  /** The handle of a position (LiveView.restore): undefined when its segment is gone, unless `forward`. */
  handleAt(position: LogPosition, forward: boolean): LogHandle | undefined {
    for (const segment of this.list) {
      if (segment.id === position.segment) return { where: segment, at: position.at }
      if (segment.id > position.segment) return forward ? { where: segment, at: headerBytes(segment.version) } : undefined
    }
    return undefined
  }

  readonly positionOf = (handle: LogHandle): LogPosition | undefined => {
    const segment = handle.where as Segment | undefined
    return segment === undefined ? undefined : { segment: segment.id, at: handle.at }
  }

  /** Closes the active file (the segments stay). */
  async close(): Promise<void> {
    await this.fs.close(this.fd)
    this.fd = -1
  }
}
