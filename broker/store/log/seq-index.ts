// The log's own index of its publish records by log sequence number (seq), kept by the log only
// (PROTOCOL.md §9): nothing outside the log knows where a message's data is, only its seq.
//
// A seq is handed out as a publish record is appended, and never again. Each file knows its
// native range (the seqs first published in it: from the seq its header names to the next file's),
// and keeps a SPARSE index of its native publish records: a (seq, offset) pair every SPARSE_RECORDS
// records or SPARSE_BYTES bytes, whichever comes first, in typed arrays. A dense one would cost
// bytes per queued message, which a deep backlog cannot afford. A lookup finds the file, then the
// nearest entry at or below the seq, and reads forward from there (body-reader.ts, findSeq).
// Compaction writes a live message's copy at the head under its own seq: the file that takes it
// notes the copy (seq, offset) exactly; a copy is found before the native record (the newest copy
// first), which it replaces.
import type { Segment } from './live-index.js'

/** A sparse entry at least every this many native publish records of a file... */
export const SPARSE_RECORDS = 32
/** ...or every this many bytes of it, whichever comes first. */
export const SPARSE_BYTES = 16 * 1024

/** (seq, offset) pairs in typed arrays, grown by doubling. */
export class Pairs {
  seqs = new Float64Array(4)
  offsets = new Float64Array(4)
  length = 0

  push(seq: number, at: number): void {
    if (this.length === this.seqs.length) {
      const seqs = new Float64Array(this.length * 2)
      const offsets = new Float64Array(this.length * 2)
      seqs.set(this.seqs)
      offsets.set(this.offsets)
      this.seqs = seqs
      this.offsets = offsets
    }
    this.seqs[this.length] = seq
    this.offsets[this.length] = at
    this.length++
  }

  /** The index of the last pair whose seq is at or below `seq` (pairs in seq order), or -1. */
  floor(seq: number): number {
    let lo = 0
    let hi = this.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if ((this.seqs[mid] as number) <= seq) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }

  /** Sorts the pairs by seq (a copy's offset kept with its seq); the last of equal seqs stays last. */
  sort(): void {
    const order = Array.from({ length: this.length }, (_, i) => i)
    order.sort((a, b) => (this.seqs[a] as number) - (this.seqs[b] as number) || a - b)
    const seqs = new Float64Array(Math.max(4, this.length))
    const offsets = new Float64Array(Math.max(4, this.length))
    for (let i = 0; i < order.length; i++) {
      seqs[i] = this.seqs[order[i] as number] as number
      offsets[i] = this.offsets[order[i] as number] as number
    }
    this.seqs = seqs
    this.offsets = offsets
  }
}

/** A sparse index of native publish records: an entry every SPARSE_RECORDS records or SPARSE_BYTES bytes. */
export class Sparse {
  readonly pairs = new Pairs()
  /** The last record noted. */
  lastSeq = -1
  private sinceEntry = 0
  private entryAt = 0

  note(seq: number, at: number): void {
    if (this.pairs.length === 0 || ++this.sinceEntry >= SPARSE_RECORDS || at - this.entryAt >= SPARSE_BYTES) {
      this.pairs.push(seq, at)
      this.sinceEntry = 0
      this.entryAt = at
    }
    this.lastSeq = seq
  }
}

/** What the index keeps of one file. */
export class SegmentSeqs {
  /** Its native publish records written or replayed by this process, in file (and seq) order. */
  readonly sparse = new Sparse()
  /**
   * A file start-up did not read (before a checkpoint's position: the whole file, or the part of
   * the file the checkpoint is in before it) has its records there indexed here as lookups need
   * them, reading on from `builtAt` up to `unreadEnd`; undefined once it is all read, or when
   * there is no such part.
   */
  unread: Sparse | undefined
  unreadEnd = 0
  builtAt = 0
  /** The seq of the next native record from `builtAt` on, in a file older than version 5 (its records carry none). */
  builtSeq = 0
  /** The compaction copies it holds, as (seq, offset); sorted on lookup. */
  copies: Pairs | undefined
  private copiesSorted = true

  native(seq: number, at: number): void {
    this.sparse.note(seq, at)
  }

  /** Its records before `end` are not read now, but as lookups need them (from `start`, its first record). */
  unreadUntil(start: number, end: number, firstSeq: number): void {
    this.unread = new Sparse()
    this.unreadEnd = end
    this.builtAt = start
    this.builtSeq = firstSeq
  }

  copy(seq: number, at: number): void {
    const copies = (this.copies ??= new Pairs())
    if (copies.length > 0 && (copies.seqs[copies.length - 1] as number) > seq) this.copiesSorted = false
    copies.push(seq, at)
  }

  /** The offset of the copy of `seq` this file holds (the last written), or undefined. */
  copyAt(seq: number): number | undefined {
    const copies = this.copies
    if (copies === undefined) return undefined
    if (!this.copiesSorted) {
      copies.sort()
      this.copiesSorted = true
    }
    const i = copies.floor(seq)
    return i >= 0 && copies.seqs[i] === seq ? copies.offsets[i] : undefined
  }
}

/** Where a seq's record is: exactly (`exact`), or from where to read forward for it. */
export interface SeqPlace {
  segment: Segment
  at: number
  /** The seq of the native record at `at`, when not exact. */
  fromSeq: number
  exact: boolean
  /** In the part of a file start-up did not read, past what is indexed of it so far: read on from `at` (SegmentSeqs.builtAt). */
  unindexed?: boolean
}

/**
 * The last native records written are kept exactly: a backlog message is placed by its seq once
 * its record is written (store/local/publish.ts), and is found here without reading the file.
 */
const RECENT = 1024

export class SeqIndex {
  private readonly recentSeqs = new Float64Array(RECENT)
  private readonly recentAt = new Float64Array(RECENT)
  private readonly recentFiles: (Segment | undefined)[] = new Array<Segment | undefined>(RECENT).fill(undefined)
  /** Where the next recent record goes; how many there are. */
  private recentNext = 0
  private recentCount = 0
  /** The seq the log hands out next. */
  nextSeq = 1
  /**
   * The highest seq written (or, at start-up, handed out before: none of those is written later).
   * A new file's native range starts after it.
   */
  written = 0
  /** Files holding compaction copies, oldest first. */
  private hosts: Segment[] = []
  /** What `place` has `exact` fill in (read at once). */
  private readonly found: { where: unknown; at: number } = { where: undefined, at: 0 }

  constructor(private readonly files: { readonly list: readonly Segment[] }) {}

  /** A new seq, never handed out before. */
  take(): number {
    return this.nextSeq++
  }

  /** A seq met in the log (read back, or handed out before): none at or below it is handed out again. */
  saw(seq: number): void {
    if (seq >= this.nextSeq) this.nextSeq = seq + 1
    if (seq > this.written) this.written = seq
  }

  /** A publish record of `seq` at `at` in `segment`: a native one, or a compaction copy (below its native range). */
  note(segment: Segment, seq: number, at: number): void {
    this.saw(seq)
    if (seq >= segment.firstSeq) {
      segment.seqs.native(seq, at)
      const i = this.recentNext
      this.recentSeqs[i] = seq
      this.recentAt[i] = at
      this.recentFiles[i] = segment
      this.recentNext = (i + 1) % RECENT
      if (this.recentCount < RECENT) this.recentCount++
      return
    }
    if (segment.seqs.copies === undefined) this.hosts.push(segment)
    segment.seqs.copy(seq, at)
  }

  /** The file `seq`'s data is in now: its newest copy's, else its native file; `skip`: a file whose copies are passed by. */
  fileOf(seq: number, skip?: Segment): Segment | undefined {
    const hosts = this.hosts
    for (let i = hosts.length - 1; i >= 0; i--) {
      const host = hosts[i] as Segment
      if (host !== skip && host.seqs.copyAt(seq) !== undefined) return host
    }
    return this.nativeFile(seq)
  }

  /**
   * The exact place of `seq`'s record when the index has it without reading a file (a compaction
   * copy, or one of the last records written), put in `out`; false otherwise. Makes no object: a
   * publish placed in its backlog once written (store/local/publish.ts) asks this for each one.
   */
  exact(seq: number, out: { where: unknown; at: number }): boolean {
    const hosts = this.hosts
    for (let i = hosts.length - 1; i >= 0; i--) {
      const host = hosts[i] as Segment
      const at = host.seqs.copyAt(seq)
      if (at !== undefined) {
        out.where = host
        out.at = at
        return true
      }
    }
    const i = this.recentIndex(seq)
    if (i < 0) return false
    const segment = this.recentFiles[i]
    if (segment === undefined) return false
    out.where = segment
    out.at = this.recentAt[i] as number
    return true
  }

  /** Where to find `seq`'s record (see SeqPlace), or undefined when no file holds it. */
  place(seq: number): SeqPlace | undefined {
    const found = this.found
    if (this.exact(seq, found)) return { segment: found.where as Segment, at: found.at, fromSeq: seq, exact: true }
    const segment = this.nativeFile(seq)
    if (segment === undefined) return undefined
    const seqs = segment.seqs
    const unread = seqs.unread
    let sparse = seqs.sparse
    if (unread !== undefined && (sparse.pairs.length === 0 || seq < (sparse.pairs.seqs[0] as number))) {
      if (seq > unread.lastSeq) return { segment, at: seqs.builtAt, fromSeq: seqs.builtSeq, exact: false, unindexed: true }
      sparse = unread
    }
    const i = sparse.pairs.floor(seq)
    if (i < 0) return undefined
    return { segment, at: sparse.pairs.offsets[i] as number, fromSeq: sparse.pairs.seqs[i] as number, exact: false }
  }

  /** The file is gone: its copies with it. */
  forget(segment: Segment): void {
    const i = this.hosts.indexOf(segment)
    if (i >= 0) this.hosts.splice(i, 1)
    for (let r = 0; r < RECENT; r++) if (this.recentFiles[r] === segment) this.recentFiles[r] = undefined
  }

  /** Where `seq` is in the ring of the last records written (in seq order, oldest at recentNext - recentCount), or -1. */
  private recentIndex(seq: number): number {
    const count = this.recentCount
    if (count === 0) return -1
    const first = (this.recentNext - count + RECENT) % RECENT
    // Seqs are written in order and mostly without gaps: the guess from the newest one usually hits.
    const back = (this.recentSeqs[(this.recentNext - 1 + RECENT) % RECENT] as number) - seq
    if (back >= 0 && back < count) {
      const guess = (this.recentNext - 1 - back + RECENT) % RECENT
      if (this.recentSeqs[guess] === seq) return guess
    }
    let lo = 0
    let hi = count - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const i = (first + mid) % RECENT
      const found = this.recentSeqs[i] as number
      if (found === seq) return i
      if (found < seq) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  /** The file whose native range holds `seq`: the last one starting at or below it. */
  private nativeFile(seq: number): Segment | undefined {
    if (seq >= this.nextSeq) return undefined
    const list = this.files.list
    let lo = 0
    let hi = list.length - 1
    let found: Segment | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const segment = list[mid] as Segment
      if (segment.firstSeq <= seq) {
        found = segment
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }
}
