// The file-system calls the log makes, behind one interface so a test can make the disk full
// (ENOSPC on write) or fail an fsync without monkey-patching node:fs.
import fs from 'node:fs'

export interface LogFs {
  mkdir(path: string): Promise<void>
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
}

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
}

export const nodeFs: LogFs = {
  mkdir: async (path) => {
    await fs.promises.mkdir(path, { recursive: true })
  },
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
}
