// Start-up: replay every segment in order. A torn or garbage tail of the newest segment (a write
// the crash interrupted) is cut at the last whole record; damage anywhere else is reported loudly
// with the exact byte range lost, and the valid records after it are still replayed.
import type { Logger } from '../../../shared/logger.js'
import type { JournalRecord } from '../journal.js'
import { FILE_HEADER_BYTES, FORMAT_VERSION, checkFileHeader, encodeFileHeader, scanRecords } from './format.js'
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
  const files = await listSegments(fs, dir)
  const from = checkpoint !== undefined && usable(checkpoint.file, files, log) ? checkpoint : undefined
  const entries = new Map((from?.file.segments ?? []).map((entry) => [entry.id, entry]))
  let records = 0
  let lastVersion: number | undefined
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as { id: number; path: string }
    const newest = i === files.length - 1
    let start = FILE_HEADER_BYTES
    if (from !== undefined) {
      const position = from.file.position
      const entry = entries.get(file.id)
      if (file.id < position.segment && entry !== undefined) {
        // Before the checkpoint: its state is in the checkpoint, its bodies are read as wanted.
        segments.push({ id: file.id, path: file.path, size: entry.size, entries: entry.entries, live: 0, metadata: entry.metadata, version: entry.version })
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
        await rewrite(fs, file.path, encodeFileHeader())
        segments.push(newSegment(file, FILE_HEADER_BYTES))
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
    const segment = newSegment(file, data.length)
    segment.version = header.version
    const entry = start > FILE_HEADER_BYTES ? entries.get(file.id) : undefined
    if (entry !== undefined) {
      segment.entries = entry.entries
      segment.metadata = entry.metadata
    }
    // Listed before its records are replayed: replay may read back what it has replayed (Journal.scan).
    segments.push(segment)
    if (from !== undefined && file.id === from.file.position.segment) {
      if (start > data.length) log.error({ file: file.path, at: start, size: data.length }, `log: ${file.path} ends before the checkpoint's position`)
      from.load()
    }
    // Version 1 files keep bodies in records the log does not read back one by one (kind 2).
    const readable = header.version >= 2
    const gaps = scanRecords(data, (record, offset) => {
      // The store learns where each record is; a version 1 file's bodies are not read back from
      // it one by one (kind 2), so its records come without an offset.
      replay(record, segment, readable ? offset : undefined)
      index.applyRecord(record, segment, offset)
      records++
    }, start, !(readable && bodiesLater))
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

function newSegment(file: { id: number; path: string }, size: number): Segment {
  return { id: file.id, path: file.path, size, entries: 0, live: 0, metadata: false }
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
