// The file-system calls the log makes, behind one interface so a test can make the disk full
// (ENOSPC on write), fail an fsync, or cut the power at any call (test/helpers/power-cut-fs.ts)
// without monkey-patching node:fs. The log touches files through nothing else.
import fs from 'node:fs'
import { dirname, resolve } from 'node:path'

export interface LogFs {
  /**
   * Makes the folder and any missing parents; resolves with the first folder it made, undefined
   * when the folder was there. A made folder's name is durable only once its parent is fsynced.
   */
  mkdir(path: string): Promise<string | undefined>
  readdir(path: string): Promise<string[]>
  readFile(path: string): Promise<Buffer>
  /** flags as in fs.open: 'r+' (existing file), 'w' (create or truncate), 'r' (a directory). */
  open(path: string, flags: string): Promise<number>
  close(fd: number): Promise<void>
  /**
   * Writes the whole buffer at `position` (loops over short writes). The log reuses the buffer
   * for its next batch once this settles, so nothing may still read it by then.
   */
  write(fd: number, data: Buffer, position: number): Promise<void>
  fdatasync(fd: number): Promise<void>
  /** fsync, for a directory after a file in it was created or removed. */
  fsync(fd: number): Promise<void>
  ftruncate(fd: number, length: number): Promise<void>
  unlink(path: string): Promise<void>
  /**
   * The size of an open file, when the file system can tell: the reserve kept from the last run
   * is then taken as it is instead of written again (a deep backlog's is hundreds of MiB).
   */
  fileSize?(fd: number): Promise<number>
  /**
   * Replaces `to` with `from` in one step (a checkpoint written beside the segments goes in this
   * way). The new name is durable only once its folder is fsynced, as for a created or removed file.
   */
  rename(from: string, to: string): Promise<void>
  /**
   * Synchronous reads of what was written, for bodies kept on disk only (a delivery cannot wait
   * a turn for its body). Without them the log does not read bodies back, and the store keeps
   * every body in memory.
   */
  openRead?(path: string): number
  /** Fills `into` from `position` on, as far as the file goes; returns the bytes read. */
  readAt?(fd: number, into: Buffer, length: number, position: number): number
  closeRead?(fd: number): void
}

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
}

export const nodeFs: LogFs = {
  mkdir: (path) => fs.promises.mkdir(path, { recursive: true }),
  readdir: (path) => fs.promises.readdir(path),
  readFile: (path) => fs.promises.readFile(path),
  open: (path, flags) => call<number>((cb) => fs.open(path, flags, 0o644, cb)),
  close: (fd) => call<void>((cb) => fs.close(fd, (err) => cb(err, undefined))),
  // One promise for the whole write, however many short writes it takes: the log writes a
  // batch every turn or two, so what each costs in garbage adds up.
  write: (fd, data, position) => new Promise((resolve, reject) => {
    const from = (done: number): void => {
      fs.write(fd, data, done, data.length - done, position + done, (err, written) => {
        if (err) reject(err)
        else if (done + written < data.length) from(done + written)
        else resolve()
      })
    }
    from(0)
  }),
  fdatasync: (fd) => call<void>((cb) => fs.fdatasync(fd, (err) => cb(err, undefined))),
  fsync: (fd) => call<void>((cb) => fs.fsync(fd, (err) => cb(err, undefined))),
  ftruncate: (fd, length) => call<void>((cb) => fs.ftruncate(fd, length, (err) => cb(err, undefined))),
  unlink: (path) => fs.promises.unlink(path),
  rename: (from, to) => fs.promises.rename(from, to),
  fileSize: (fd) => call<number>((cb) => fs.fstat(fd, (err, stats) => cb(err, stats?.size ?? 0))),
  openRead: (path) => fs.openSync(path, 'r'),
  readAt: (fd, into, length, position) => {
    let done = 0
    while (done < length) {
      const got = fs.readSync(fd, into, done, length - done, position + done)
      if (got === 0) break
      done += got
    }
    return done
  },
  closeRead: (fd) => fs.closeSync(fd),
}

/** A write or an fsync's outcome, told by callback: null when it succeeded. */
export type Done = (err: unknown) => void

/**
 * The log's per-batch calls, told by callback: a promise per write and per fsync is garbage
 * made every turn or two under steady traffic. On node's file system they call node:fs
 * directly; any other LogFs (a test's) is called through its promises, so its faults still count.
 */
export interface BatchFs {
  write(fd: number, data: Buffer, position: number, done: Done): void
  fdatasync(fd: number, done: Done): void
}

const nodeBatchFs: BatchFs = {
  write: (fd, data, position, done) => {
    let written = 0
    const next = (err: NodeJS.ErrnoException | null, bytes: number): void => {
      if (err) return done(err)
      written += bytes
      if (written < data.length) fs.write(fd, data, written, data.length - written, position + written, next)
      else done(null)
    }
    fs.write(fd, data, 0, data.length, position, next)
  },
  fdatasync: (fd, done) => fs.fdatasync(fd, done),
}

export function batchFs(logFs: LogFs): BatchFs {
  if (logFs === nodeFs) return nodeBatchFs
  return {
    write: (fd, data, position, done) => {
      logFs.write(fd, data, position).then(() => done(null), done)
    },
    fdatasync: (fd, done) => {
      logFs.fdatasync(fd).then(() => done(null), done)
    },
  }
}

/** Makes the names created, renamed or removed in a folder durable (fsync on the folder). */
export async function syncFolder(fs: LogFs, folder: string): Promise<void> {
  const fd = await fs.open(folder, 'r')
  try {
    await fs.fsync(fd)
  } finally {
    await fs.close(fd)
  }
}

/**
 * Makes `dir` (and any folder above it) and makes each folder it had to make durable in its
 * parent: without that, a power cut could take the folder and every file in it.
 */
export async function makeFolder(fs: LogFs, dir: string): Promise<void> {
  const made = await fs.mkdir(dir)
  if (made === undefined) return
  const top = resolve(made)
  const chain: string[] = []
  for (let path = resolve(dir); ; path = dirname(path)) {
    chain.push(path)
    if (path === top || dirname(path) === path) break
  }
  for (const folder of chain.reverse()) await syncFolder(fs, dirname(folder))
}
