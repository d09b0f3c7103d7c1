// Shared pieces of the log tests: a journal on a temp folder, replayed into a plain list.
import { readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { JournalRecord, LiveView, PublishRecord } from '../../../broker/store/journal.js'
import { LogJournal, type LogJournalOptions } from '../../../broker/store/log/journal.js'
import { nodeFs, type LogFs } from '../../../broker/store/log/fs.js'
import { createLogger } from '../../../shared/logger.js'
import type { Frame } from '../../helpers/broker.js'

export const noLiveView: LiveView = { eachHeld: () => undefined, heldAt: () => [], snapshot: () => undefined, metadata: () => [] }

/** Opens a journal on `dir` and returns it with every record it replayed. */
export async function openJournal(
  dir: string, options: Partial<LogJournalOptions> = {},
): Promise<{ journal: LogJournal; replayed: JournalRecord[] }> {
  const journal = new LogJournal({ dir, ...options })
  const replayed: JournalRecord[] = []
  await journal.open((record) => replayed.push(record), noLiveView)
  return { journal, replayed }
}

export function publishRecord(n: number, body = `{"n":${n}}`): PublishRecord {
  return { type: 'publish', queues: ['q'], mid: `m${n}`, bodyJson: body, publishedAt: 1_700_000_000_000 + n, visibleAt: 0 }
}

/**
 * A publish record held by someone, as the store holds its messages: a publish appended while
 * running counts live until a record ends its seq (the log interprets no record by id), so its
 * file is kept.
 */
export function heldPublishRecord(n: number, body?: string): PublishRecord {
  return publishRecord(n, body)
}

/** The folder's size now; a file the broker deletes between the listing and its stat counts as gone. */
export function folderBytes(dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) total += statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0
  return total
}

export function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.log')).sort()
}

/** The node file system with a switch that makes every write, fsync and open for writing fail. */
export class FaultyFs implements LogFs {
  full = false
  writes = 0
  fsyncs = 0
  private fail(): Error {
    return Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
  }

  mkdir = nodeFs.mkdir
  readdir = nodeFs.readdir
  readFile = nodeFs.readFile
  close = nodeFs.close
  ftruncate = nodeFs.ftruncate
  unlink = nodeFs.unlink
  rename = nodeFs.rename
  fsync = nodeFs.fsync
  open = async (path: string, flags: string): Promise<number> => {
    if (this.full && flags === 'w') throw this.fail()
    return nodeFs.open(path, flags)
  }

  write = async (fd: number, data: Buffer, position: number): Promise<void> => {
    this.writes++
    if (!this.full) return nodeFs.write(fd, data, position)
    // A full disk takes part of the write before it refuses the rest.
    await nodeFs.write(fd, data.subarray(0, Math.floor(data.length / 2)), position)
    throw this.fail()
  }

  fdatasync = async (fd: number): Promise<void> => {
    this.fsyncs++
    if (this.full) throw this.fail()
    return nodeFs.fdatasync(fd)
  }
}

/** A logger whose lines land in `lines` as parsed objects, so tests assert on fields. */
export function captureLog(): { log: import('../../../shared/logger.js').Logger; lines: Frame[] } {
  const lines: Frame[] = []
  const log = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(JSON.parse(line)) } })
  return { log, lines }
}

/** A file system in memory, for tests that recover a log thousands of times. */
export class MemoryFs implements LogFs {
  readonly files = new Map<string, Buffer>()
  private readonly fds = new Map<number, string>()
  private nextFd = 100

  async mkdir(): Promise<string | undefined> {
    return undefined
  }
  async readdir(dir: string): Promise<string[]> {
    return [...this.files.keys()].filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1))
  }

  async readFile(path: string): Promise<Buffer> {
    const data = this.files.get(path)
    if (!data) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
    return Buffer.from(data)
  }

  async open(path: string, flags: string): Promise<number> {
    if (flags === 'w') this.files.set(path, Buffer.alloc(0))
    const fd = this.nextFd++
    this.fds.set(fd, path)
    return fd
  }

  async close(fd: number): Promise<void> {
    this.fds.delete(fd)
  }

  async write(fd: number, data: Buffer, position: number): Promise<void> {
    const path = this.fds.get(fd) as string
    const old = this.files.get(path) ?? Buffer.alloc(0)
    const next = Buffer.alloc(Math.max(old.length, position + data.length))
    old.copy(next)
    data.copy(next, position)
    this.files.set(path, next)
  }

  async fdatasync(): Promise<void> {}
  async fsync(): Promise<void> {}
  async ftruncate(fd: number, length: number): Promise<void> {
    const path = this.fds.get(fd) as string
    this.files.set(path, Buffer.from((this.files.get(path) ?? Buffer.alloc(0)).subarray(0, length)))
  }

  async unlink(path: string): Promise<void> {
    this.files.delete(path)
  }

  async rename(from: string, to: string): Promise<void> {
    const data = this.files.get(from)
    if (!data) throw Object.assign(new Error(`ENOENT: ${from}`), { code: 'ENOENT' })
    this.files.delete(from)
    this.files.set(to, data)
  }

  /** Synchronous reads, so the log reads bodies and backlogs back from files in memory too. */
  openRead(path: string): number {
    if (!this.files.has(path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
    const fd = this.nextFd++
    this.fds.set(fd, path)
    return fd
  }

  readAt(fd: number, into: Buffer, length: number, position: number): number {
    const data = this.files.get(this.fds.get(fd) as string) ?? Buffer.alloc(0)
    const end = Math.min(data.length, position + length)
    if (end <= position) return 0
    return data.copy(into, 0, position, end)
  }

  closeRead(fd: number): void {
    this.fds.delete(fd)
  }
}

/**
 * The node file system on a disk of `capacity` bytes: the files written through it share that
 * much room, and a write past it stores what fits, then fails with ENOSPC, as a full disk does.
 */
export class SmallDiskFs implements LogFs {
  private readonly sizes = new Map<string, number>()
  private readonly paths = new Map<number, string>()
  constructor(readonly capacity: number) {}

  get used(): number {
    let total = 0
    for (const size of this.sizes.values()) total += size
    return total
  }

  /** Each file and its size, for a failure message. */
  listing(): string {
    return [...this.sizes].map(([path, size]) => `${basename(path)} ${size}`).join(', ')
  }

  private fail(): Error {
    return Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
  }

  private grow(fd: number, end: number): void {
    const path = this.paths.get(fd)
    if (path !== undefined) this.sizes.set(path, Math.max(this.sizes.get(path) ?? 0, end))
  }

  mkdir = nodeFs.mkdir
  readdir = nodeFs.readdir
  readFile = nodeFs.readFile
  fsync = nodeFs.fsync
  fdatasync = nodeFs.fdatasync
  openRead = nodeFs.openRead
  readAt = nodeFs.readAt
  closeRead = nodeFs.closeRead
  open = async (path: string, flags: string): Promise<number> => {
    const fd = await nodeFs.open(path, flags)
    this.paths.set(fd, path)
    if (flags === 'w') this.sizes.set(path, 0)
    else if (!this.sizes.has(path) && flags !== 'r') this.sizes.set(path, statSync(path).size)
    return fd
  }

  close = async (fd: number): Promise<void> => {
    this.paths.delete(fd)
    return nodeFs.close(fd)
  }

  write = async (fd: number, data: Buffer, position: number): Promise<void> => {
    const path = this.paths.get(fd) as string
    const size = this.sizes.get(path) ?? 0
    const room = this.capacity - this.used + size
    if (position + data.length <= room) {
      await nodeFs.write(fd, data, position)
      return this.grow(fd, position + data.length)
    }
    const fits = Math.max(0, room - position)
    if (fits > 0) {
      await nodeFs.write(fd, data.subarray(0, fits), position)
      this.grow(fd, position + fits)
    }
    throw this.fail()
  }

  ftruncate = async (fd: number, length: number): Promise<void> => {
    await nodeFs.ftruncate(fd, length)
    const path = this.paths.get(fd)
    if (path !== undefined) this.sizes.set(path, length)
  }

  unlink = async (path: string): Promise<void> => {
    await nodeFs.unlink(path)
    this.sizes.delete(path)
  }

  rename = async (from: string, to: string): Promise<void> => {
    await nodeFs.rename(from, to)
    const size = this.sizes.get(from)
    this.sizes.delete(from)
    if (size !== undefined) this.sizes.set(to, size)
  }
}
