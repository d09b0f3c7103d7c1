// A file system in memory that knows what a power cut would keep, for walking a crash through
// every call the log makes (test/store/log/power-cut.test.ts).
//
// What is durable, as POSIX promises it and no more:
// - a file's bytes (and its length) as they were at its last fsync or fdatasync;
// - a name created, renamed or removed in a folder only once that folder is fsynced (until then
//   the folder's durable entries still name what they named at its last fsync).
// image() is what a cut keeps: every unsynced write, truncation and name change is dropped.
// With `torn`, the file the last write went to keeps its unsynced writes in order and the last
// one only in part, cut at a 512-byte boundary inside it: the last one ('most') or the first one
// ('least') (a disk that wrote the file's sectors in order and lost power inside the last write).
// With `names`, unsynced name changes land anyway (a file system may well commit them early):
// all of them, or all but each folder's first (out of order), while file bytes still count
// only once synced. With `kill`, only the process dies: everything written is kept. fromImage()
// is the disk after the restart: everything in the image is durable.
//
// Each call that changes the disk or makes something durable (mkdir, open for writing, write,
// fdatasync, fsync, ftruncate, unlink, rename) is numbered from 0. A call takes effect when it
// is made and answers on a later turn. With `cutAt` set, the power is cut at that call: it does
// not happen (a write happens only as far as a torn tail keeps of it), and no call answers from
// then on, earlier ones included, as a process that lost its machine hears nothing more. `dead`
// resolves then with the image.
import { dirname, basename } from 'node:path'
import type { LogFs } from '../../broker/store/log/fs.js'

export const SECTOR_BYTES = 512

/** What survives a cut: the files (full paths) and the folders. */
export interface DiskImage {
  files: Map<string, Buffer>
  dirs: Set<string>
}

/** One change to a file's bytes since its last sync: replayed in order for a torn tail. */
type Change = { write: Buffer; position: number } | { truncate: number }

interface File {
  kind: 'file'
  data: Buffer
  durable: Buffer
  changes: Change[]
}

/** A name change since the folder's last sync: a name set (created, renamed to) and one removed (unlinked, renamed from), together for a rename within the folder. */
interface NameChange {
  set?: [string, Node]
  remove?: string
}

interface Dir {
  kind: 'dir'
  entries: Map<string, Node>
  durable: Map<string, Node>
  changes: NameChange[]
}

type Node = File | Dir

/** A call, as the walk names it in a failure: which op on which path. */
export interface Call {
  op: string
  path: string
}

export interface PowerCutOptions {
  /** Cut the power at this call (0-based); undefined: never. */
  cutAt?: number
  /** Keep a torn tail of the last write when cutting: as many whole sectors of it as can be torn, or as few. */
  torn?: 'most' | 'least'
  /**
   * Unsynced name changes that land anyway (nothing forbids a file system to commit them early),
   * while file bytes still count only once synced: 'all' of them, or all but each folder's
   * first ('reordered': a later change landed, an earlier one did not).
   */
  names?: 'all' | 'reordered'
  /**
   * Not the power: only the process dies (kill -9) and the machine keeps everything written,
   * synced or not; the call cut at does not happen.
   */
  kill?: boolean
}

function errno(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code })
}

function apply(data: Buffer, change: Change): Buffer {
  if ('truncate' in change) {
    const next = Buffer.alloc(change.truncate)
    data.copy(next, 0, 0, Math.min(data.length, change.truncate))
    return next
  }
  const end = change.position + change.write.length
  const next = end > data.length ? Buffer.alloc(end) : Buffer.from(data)
  if (next !== data && end > data.length) data.copy(next)
  change.write.copy(next, change.position)
  return next
}

export class PowerCutFs implements LogFs {
  /** Every numbered call so far, in order. */
  readonly calls: Call[] = []
  /** Resolves with the durable image once the power is cut. */
  readonly dead: Promise<DiskImage>
  private cutDone: ((image: DiskImage) => void) | undefined
  private isDead = false
  private readonly root: Dir = { kind: 'dir', entries: new Map(), durable: new Map(), changes: [] }
  private readonly fds = new Map<number, { node: Node; path: string }>()
  private nextFd = 3
  /** The file the last write went to. */
  private lastWritten: File | undefined
  private cutAt: number | undefined

  constructor(private readonly options: PowerCutOptions = {}, image?: DiskImage) {
    this.cutAt = options.cutAt
    this.dead = new Promise((resolve) => (this.cutDone = resolve))
    if (image) this.load(image)
  }

  /** A disk holding `image`, all of it durable: the machine after the restart. */
  static fromImage(image: DiskImage, options: PowerCutOptions = {}): PowerCutFs {
    return new PowerCutFs(options, image)
  }

  get cut(): boolean {
    return this.isDead
  }

  /** The power stays on after all (a cut not reached yet is called off). */
  disarm(): void {
    this.cutAt = undefined
  }

  /** What a power cut now would leave. */
  image(torn = this.options.torn, names = this.options.names, kill = this.options.kill === true): DiskImage {
    const image: DiskImage = { files: new Map(), dirs: new Set(['/']) }
    const walk = (dir: Dir, path: string): void => {
      for (const [name, node] of kill ? dir.entries : this.namesKept(dir, names)) {
        const full = path === '/' ? `/${name}` : `${path}/${name}`
        if (node.kind === 'dir') {
          image.dirs.add(full)
          walk(node, full)
        } else {
          const kept = kill ? node.data : torn && node === this.lastWritten ? this.tornTail(node, torn) : node.durable
          image.files.set(full, Buffer.from(kept))
        }
      }
    }
    walk(this.root, '/')
    return image
  }

  /** The names a folder keeps through a cut. */
  private namesKept(dir: Dir, names: 'all' | 'reordered' | undefined): Map<string, Node> {
    if (names === undefined) return dir.durable
    if (names === 'all') return dir.entries
    const kept = new Map(dir.durable)
    for (const change of dir.changes.slice(1)) {
      if (change.remove !== undefined) kept.delete(change.remove)
      if (change.set) kept.set(change.set[0], change.set[1])
    }
    return kept
  }

  /** The file's durable bytes, its unsynced changes but the last write in order, and that write up to a sector boundary inside it. */
  private tornTail(file: File, torn: 'most' | 'least'): Buffer {
    let data = file.durable
    const changes = file.changes
    let last = changes.length - 1
    while (last >= 0 && !('write' in (changes[last] as Change))) last--
    if (last < 0) return data
    for (let i = 0; i < last; i++) data = apply(data, changes[i] as Change)
    const write = changes[last] as { write: Buffer; position: number }
    const end = torn === 'most'
      ? Math.floor((write.position + write.write.length - 1) / SECTOR_BYTES) * SECTOR_BYTES
      : Math.floor(write.position / SECTOR_BYTES + 1) * SECTOR_BYTES
    if (end <= write.position || end >= write.position + write.write.length) return data
    return apply(data, { write: write.write.subarray(0, end - write.position), position: write.position })
  }

  private load(image: DiskImage): void {
    for (const dir of [...image.dirs].sort()) if (dir !== '/') this.makeDir(dir, true)
    for (const [path, data] of image.files) {
      const parent = this.lookup(dirname(path)) as Dir
      const file: File = { kind: 'file', data: Buffer.from(data), durable: Buffer.from(data), changes: [] }
      parent.entries.set(basename(path), file)
      parent.durable.set(basename(path), file)
    }
  }

  private lookup(path: string): Node | undefined {
    let node: Node = this.root
    for (const part of path.split('/').filter((p) => p.length > 0)) {
      if (node.kind !== 'dir') return undefined
      const next = node.entries.get(part)
      if (!next) return undefined
      node = next
    }
    return node
  }

  private parentOf(path: string): Dir {
    const parent = this.lookup(dirname(path))
    if (!parent || parent.kind !== 'dir') throw errno('ENOENT', path)
    return parent
  }

  /** Makes the folder and its missing parents; the first one it made, as node's recursive mkdir tells. */
  private makeDir(path: string, durable: boolean): string | undefined {
    let dir = this.root
    let first: string | undefined
    let at = ''
    for (const part of path.split('/').filter((p) => p.length > 0)) {
      at = `${at}/${part}`
      let next = dir.entries.get(part)
      if (!next) {
        first ??= at
        next = { kind: 'dir', entries: new Map(), durable: new Map(), changes: [] }
        dir.entries.set(part, next)
        if (durable) dir.durable.set(part, next)
        else dir.changes.push({ set: [part, next] })
      }
      if (next.kind !== 'dir') throw errno('ENOTDIR', path)
      dir = next
    }
    return first
  }

  private fileAt(fd: number): File {
    const open = this.fds.get(fd)
    if (!open || open.node.kind !== 'file') throw errno('EBADF', String(fd))
    return open.node
  }

  /**
   * Numbers a call that changes the disk; when it is the one the power is cut at, the cut happens
   * (after `torn` lets a write in flight land in part) and false is returned: the call must not happen.
   */
  private numbered(op: string, path: string, inFlight?: () => void): boolean {
    const index = this.calls.length
    this.calls.push({ op, path })
    if (this.cutAt !== index) return true
    if (inFlight && this.options.torn !== undefined) inFlight()
    this.isDead = true
    this.cutDone?.(this.image())
    return false
  }

  /**
   * Does `fn` now (a call takes effect in the order it was made) and answers on a later turn, as
   * a real file system's callbacks come; never once the power is cut.
   */
  private answer<T>(fn: () => T): Promise<T> {
    if (this.isDead) return this.hang()
    let outcome: { value: T } | { err: unknown }
    try {
      outcome = { value: fn() }
    } catch (err) {
      outcome = { err }
    }
    return new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        if (this.isDead) return
        if ('err' in outcome) reject(outcome.err)
        else resolve(outcome.value)
      })
    })
  }

  private hang<T>(): Promise<T> {
    return new Promise<T>(() => undefined)
  }

  // ---- LogFs -------------------------------------------------------------------------------

  mkdir(path: string): Promise<string | undefined> {
    if (this.isDead) return this.hang()
    if (this.lookup(path)?.kind === 'dir') return this.answer(() => undefined)
    if (!this.numbered('mkdir', path)) return this.hang()
    return this.answer(() => this.makeDir(path, false))
  }

  readdir(path: string): Promise<string[]> {
    return this.answer(() => {
      const dir = this.lookup(path)
      if (!dir) throw errno('ENOENT', path)
      if (dir.kind !== 'dir') throw errno('ENOTDIR', path)
      return [...dir.entries.keys()]
    })
  }

  readFile(path: string): Promise<Buffer> {
    return this.answer(() => {
      const file = this.lookup(path)
      if (!file) throw errno('ENOENT', path)
      if (file.kind !== 'file') throw errno('EISDIR', path)
      return Buffer.from(file.data)
    })
  }

  open(path: string, flags: string): Promise<number> {
    if (this.isDead) return this.hang()
    if (flags === 'w') {
      if (!this.numbered('open w', path)) return this.hang()
      return this.answer(() => {
        const parent = this.parentOf(path)
        let file = parent.entries.get(basename(path))
        if (file?.kind === 'dir') throw errno('EISDIR', path)
        if (file) {
          file.data = Buffer.alloc(0)
          file.changes.push({ truncate: 0 })
        } else {
          file = { kind: 'file', data: Buffer.alloc(0), durable: Buffer.alloc(0), changes: [] }
          parent.entries.set(basename(path), file)
          parent.changes.push({ set: [basename(path), file] })
        }
        return this.fdFor(file, path)
      })
    }
    return this.answer(() => {
      const node = this.lookup(path)
      if (!node) throw errno('ENOENT', path)
      return this.fdFor(node, path)
    })
  }

  private fdFor(node: Node, path: string): number {
    const fd = this.nextFd++
    this.fds.set(fd, { node, path })
    return fd
  }

  private pathOf(fd: number): string {
    return this.fds.get(fd)?.path ?? `fd ${fd}`
  }

  close(fd: number): Promise<void> {
    return this.answer(() => {
      if (!this.fds.delete(fd)) throw errno('EBADF', String(fd))
    })
  }

  write(fd: number, data: Buffer, position: number): Promise<void> {
    if (this.isDead) return this.hang()
    // The caller may reuse the buffer once this settles: keep a copy.
    const change = { write: Buffer.from(data), position }
    if (!this.numbered('write', this.pathOf(fd), () => {
      const file = this.fileAt(fd)
      file.changes.push(change)
      this.lastWritten = file
    })) return this.hang()
    return this.answer(() => {
      const file = this.fileAt(fd)
      file.data = apply(file.data, change)
      file.changes.push(change)
      this.lastWritten = file
    })
  }

  fdatasync(fd: number): Promise<void> {
    return this.sync('fdatasync', fd)
  }

  fsync(fd: number): Promise<void> {
    return this.sync('fsync', fd)
  }

  private sync(op: string, fd: number): Promise<void> {
    if (this.isDead) return this.hang()
    if (!this.numbered(op, this.pathOf(fd))) return this.hang()
    return this.answer(() => {
      const open = this.fds.get(fd)
      if (!open) throw errno('EBADF', String(fd))
      const node = open.node
      if (node.kind === 'dir') {
        node.durable = new Map(node.entries)
        node.changes = []
      } else {
        node.durable = Buffer.from(node.data)
        node.changes = []
      }
    })
  }

  ftruncate(fd: number, length: number): Promise<void> {
    if (this.isDead) return this.hang()
    if (!this.numbered('ftruncate', this.pathOf(fd))) return this.hang()
    return this.answer(() => {
      const file = this.fileAt(fd)
      const change = { truncate: length }
      file.data = apply(file.data, change)
      file.changes.push(change)
    })
  }

  unlink(path: string): Promise<void> {
    if (this.isDead) return this.hang()
    if (!this.numbered('unlink', path)) return this.hang()
    return this.answer(() => {
      const parent = this.parentOf(path)
      const node = parent.entries.get(basename(path))
      if (!node) throw errno('ENOENT', path)
      if (node.kind === 'dir') throw errno('EISDIR', path)
      parent.entries.delete(basename(path))
      parent.changes.push({ remove: basename(path) })
    })
  }

  rename(from: string, to: string): Promise<void> {
    if (this.isDead) return this.hang()
    if (!this.numbered('rename', `${from} -> ${to}`)) return this.hang()
    return this.answer(() => {
      const source = this.parentOf(from)
      const target = this.parentOf(to)
      const node = source.entries.get(basename(from))
      if (!node) throw errno('ENOENT', from)
      source.entries.delete(basename(from))
      target.entries.set(basename(to), node)
      if (source === target) {
        source.changes.push({ remove: basename(from), set: [basename(to), node] })
      } else {
        source.changes.push({ remove: basename(from) })
        target.changes.push({ set: [basename(to), node] })
      }
    })
  }

  // Reads of bodies kept on disk: what was written, synced or not (the page cache).
  openRead = (path: string): number => {
    const node = this.lookup(path)
    if (!node || node.kind !== 'file') throw errno('ENOENT', path)
    return this.fdFor(node, path)
  }

  readAt = (fd: number, into: Buffer, length: number, position: number): number => {
    const data = this.fileAt(fd).data
    if (position >= data.length) return 0
    return data.copy(into, 0, position, Math.min(data.length, position + length))
  }

  closeRead = (fd: number): void => {
    this.fds.delete(fd)
  }
}
