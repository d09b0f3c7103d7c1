// Start-up: replay every segment in order. A torn or garbage tail of the newest segment (a write
// the crash interrupted) is cut at the last whole record; damage anywhere else is reported loudly
// with the exact byte range lost, and the valid records after it are still replayed.
import type { Logger } from '../../../shared/logger.js'
import type { JournalRecord } from '../journal.js'
import { FILE_HEADER_BYTES, FORMAT_VERSION, checkFileHeader, encodeFileHeader, headerBytes, scanRecords } from './format.js'
import { SegmentSeqs } from './seq-index.js'
import type { LogFs } from './fs.js'
import type { LiveIndex, Segment } from './live-index.js'
import { listSegments } from './segments.js'
import type { CheckpointFile } from './checkpoint.js'

export interface Recovered {
  /** The readable segments, oldest first; the last one takes the appends. */
  segments: Segment[]
  /** The highest segment number seen, readable or not (new files are numbered after it). */
  lastId: number
  /** The format version of the last readable segment: appends go only to one of this version. */
  lastVersion: number | undefined
  records: number
}

/**
 * A checkpoint to start from: `load` hands its state to the store once the segments before its
 * position are listed (they are not read), and replay goes on from the position.
 */
export interface StartFrom {
  file: CheckpointFile
  load(): void
}

export async function recover(
  fs: LogFs, dir: string, log: Logger, replay: (record: JournalRecord, segment?: Segment, at?: number) => void, index: LiveIndex,
  bodiesLater = false, segments: Segment[] = [], checkpoint?: StartFrom,
): Promise<Recovered> {
  const seqs = index.seqs
  const files = await listSegments(fs, dir)
  const from = checkpoint !== undefined && usable(checkpoint.file, files, log) ? checkpoint : undefined
  const entries = new Map((from?.file.segments ?? []).map((entry) => [entry.id, entry]))
  if (from !== undefined) seqs.saw(from.file.nextSeq - 1)
  // The publish records of files older than version 5 carry no seq: they are numbered in log
  // order, so that the last one comes just before the first seq of the first newer file.
  let legacySeq = from === undefined ? await legacyStart(fs, files) : 1
  let records = 0
  let lastVersion: number | undefined
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as { id: number; path: string }
    const newest = i === files.length - 1
    let start: number | undefined
    if (from !== undefined) {
      const position = from.file.position
      const entry = entries.get(file.id)
      if (file.id < position.segment && entry !== undefined) {
        // Before the checkpoint: its state is in the checkpoint, its bodies are read as wanted, its
        // sparse index is built as lookups need it; the copies it holds are listed in the checkpoint.
        const segment: Segment = {
          id: file.id, path: file.path, size: entry.size, entries: entry.entries, live: 0, metadata: entry.metadata, version: entry.version,
          firstSeq: entry.firstSeq, seqs: new SegmentSeqs(),
        }
        segment.seqs.unreadUntil(headerBytes(entry.version), entry.size, entry.firstSeq)
        segments.push(segment)
        const copies = entry.copies ?? []
        for (let c = 0; c + 1 < copies.length; c += 2) seqs.note(segment, copies[c] as number, copies[c + 1] as number)
        lastVersion = entry.version ?? FORMAT_VERSION
        continue
      }
      if (file.id === position.segment) start = position.at
    }
    const data = await fs.readFile(file.path)
    const header = checkFileHeader(data)
    if (!header.ok) {
      if (newest && data.length <= FILE_HEADER_BYTES) {
        // A crash while the file was being created: nothing was ever confirmed in it.
        log.warn({ file: file.path, bytes: data.length }, `log: ${file.path} was cut short while being created; starting it afresh`)
        await rewrite(fs, file.path, encodeFileHeader(seqs.nextSeq))
        segments.push(newSegment(file, FILE_HEADER_BYTES, seqs.nextSeq))
        lastVersion = FORMAT_VERSION
        continue
      }
      log.error({ file: file.path, from: 0, to: data.length, lost: data.length },
        `log: CORRUPTION: ${file.path} is unreadable (${header.reason}); bytes 0..${data.length} are lost, the file is left in place`)
      continue
    }
    if (header.version > FORMAT_VERSION) {
      throw new Error(`${file.path} is log format version ${header.version}; this hubq reads up to version ${FORMAT_VERSION}: upgrade hubq`)
    }
    const legacy = header.version < 5
    const segment = newSegment(file, data.length, legacy ? legacySeq : header.firstSeq)
    seqs.saw(segment.firstSeq - 1)
    segment.version = header.version
    const entry = start !== undefined ? entries.get(file.id) : undefined
    if (entry !== undefined) {
      segment.entries = entry.entries
      segment.metadata = entry.metadata
      // Its records before the checkpoint are not replayed: they are indexed as lookups need them,
      // the copies among them listed in the checkpoint.
      segment.seqs.unreadUntil(header.start, start as number, segment.firstSeq)
      const copies = entry.copies ?? []
      for (let c = 0; c + 1 < copies.length; c += 2) seqs.note(segment, copies[c] as number, copies[c + 1] as number)
    }
    // Listed before its records are replayed: replay may read back what it has replayed (Journal.scan).
    segments.push(segment)
    if (from !== undefined && file.id === from.file.position.segment) {
      if ((start as number) > data.length) log.error({ file: file.path, at: start, size: data.length }, `log: ${file.path} ends before the checkpoint's position`)
      from.load()
    }
    // Version 1 files keep bodies in records the log does not read back one by one (kind 2).
    const readable = header.version >= 2
    const gaps = scanRecords(data, (record, offset) => {
      if (record.type === 'publish' && record.seq === undefined) record.seq = legacy ? legacySeq++ : seqs.take()
      // The store learns where each record is; a version 1 file's bodies are not read back from
      // it one by one (kind 2), so its records come without an offset.
      replay(record, segment, readable ? offset : undefined)
      index.applyRecord(record, segment, offset, false)
      records++
    }, start ?? header.start, !(readable && bodiesLater))
    if (legacy) seqs.saw(legacySeq - 1)
    for (const gap of gaps) {
      if (newest && !gap.resumed) {
        log.warn({ file: file.path, offset: gap.from, cut: gap.to - gap.from },
          `log: torn tail of ${file.path} cut at byte ${gap.from} (${gap.to - gap.from} bytes of an unfinished write dropped)`)
        await cut(fs, file.path, gap.from)
        segment.size = gap.from
      } else {
        log.error({ file: file.path, from: gap.from, to: gap.to, lost: gap.to - gap.from },
          `log: CORRUPTION in ${file.path}: bytes ${gap.from}..${gap.to} (${gap.to - gap.from} bytes) hold no valid record and are lost` +
          (gap.resumed ? '; the records after them are kept' : ''))
      }
    }
    lastVersion = header.version
  }
  return { segments, lastId: files.length > 0 ? (files[files.length - 1] as { id: number }).id : 0, lastVersion, records }
}

/**
 * The seq of the first publish record of the files older than version 5: the same at every
 * start-up while the first newer file is there (the older files go oldest first, and those left
 * keep their numbers), 1 when there is none (they are numbered before any newer file is made).
 */
async function legacyStart(fs: LogFs, files: { id: number; path: string }[]): Promise<number> {
  let count = 0
  for (const file of files) {
    const head = await readHead(fs, file.path)
    const version = checkFileHeader(head)
    if (version.ok && version.version >= 5) return Math.max(1, version.firstSeq - count)
    const data = head.length < FILE_HEADER_BYTES ? head : await fs.readFile(file.path)
    const header = checkFileHeader(data)
    if (!header.ok) continue
    scanRecords(data, (record) => {
      if (record.type === 'publish') count++
    }, header.start, false)
  }
  return 1
}

/** The first bytes of a file, enough for its header (the whole file when it cannot be read in part). */
async function readHead(fs: LogFs, path: string): Promise<Buffer> {
  if (fs.openRead === undefined || fs.readAt === undefined || fs.closeRead === undefined) return fs.readFile(path)
  const fd = fs.openRead(path)
  try {
    const head = Buffer.alloc(FILE_HEADER_BYTES)
    return head.subarray(0, fs.readAt(fd, head, FILE_HEADER_BYTES, 0))
  } finally {
    fs.closeRead(fd)
  }
}

/**
 * Whether the checkpoint fits the folder: its segment is there and no shorter than its position,
 * and every segment before it is one it lists (else the log is replayed whole).
 */
function usable(checkpoint: CheckpointFile, files: { id: number; path: string }[], log: Logger): boolean {
  const { position } = checkpoint
  const listed = new Set(checkpoint.segments.map((entry) => entry.id))
  const at = files.find((file) => file.id === position.segment)
  const unknown = files.find((file) => file.id < position.segment && !listed.has(file.id))
  const reason = at === undefined ? `its segment ${position.segment} is gone`
    : unknown !== undefined ? `${unknown.path} is not in it` : undefined
  if (reason === undefined) return true
  log.warn({ reason }, `log: the checkpoint does not fit the log (${reason}); replaying the whole log`)
  return false
}

function newSegment(file: { id: number; path: string }, size: number, firstSeq: number): Segment {
  return { id: file.id, path: file.path, size, entries: 0, live: 0, metadata: false, firstSeq, seqs: new SegmentSeqs() }
}

async function cut(fs: LogFs, path: string, length: number): Promise<void> {
  const fd = await fs.open(path, 'r+')
  try {
    await fs.ftruncate(fd, length)
    await fs.fdatasync(fd)
  } finally {
    await fs.close(fd)
  }
}

async function rewrite(fs: LogFs, path: string, data: Buffer): Promise<void> {
  const fd = await fs.open(path, 'w')
  try {
    await fs.write(fd, data, 0)
    await fs.fdatasync(fd)
  } finally {
    await fs.close(fd)
  }
}
