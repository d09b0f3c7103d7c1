// Reading a written message's body (and attrs) back from its segment, for bodies kept on disk
// only (PROTOCOL.md §9): synchronous reads in chunks, since the bodies of the messages behind one
// were mostly written right after it and are usually wanted next.
import type { Logger } from '../../../shared/logger.js'
import type { StoredBody } from '../journal.js'
import { MAX_PAYLOAD_BYTES, NOT_PUBLISH, NO_SEQ, RECORD_HEADER_BYTES, headerBytes, publishBodyAt, publishSeqAt, recordSize } from './format.js'
import type { LogFs } from './fs.js'
import type { Segment } from './live-index.js'

/**
 * Bytes read at once for a body kept on disk only: the bodies of the messages behind it were
 * mostly written right after it, and are usually wanted next.
 */
const READ_CHUNK_BYTES = 64 * 1024

/** The last stretch of a segment read for bodies: bytes [start, end) of it, never past what was written. */
interface Chunk {
  segment: Segment
  start: number
  end: number
  data: Buffer
}

export class BodyReader {
  private chunk: Chunk | undefined
  private readonly chunkBuffer = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES)
  /** Read-only descriptors of the segments bodies were read from. */
  private readonly readers = new Map<Segment, number>()

  /** `fs` must read synchronously (openRead, readAt, closeRead: see canRead). */
  constructor(private readonly fs: Required<Pick<LogFs, 'openRead' | 'readAt' | 'closeRead'>>, private readonly log: Logger) {}

  /** Whether a file system can read bodies back (without, the store keeps every body in memory). */
  static canRead(fs: LogFs): fs is LogFs & Required<Pick<LogFs, 'openRead' | 'readAt' | 'closeRead'>> {
    return fs.openRead !== undefined && fs.readAt !== undefined && fs.closeRead !== undefined
  }

  /** The body and attrs of the publish record at `at` in `segment`, from the last chunk read when it holds it. */
  bodyAt(segment: Segment, at: number): StoredBody | undefined {
    let chunk: Chunk
    try {
      chunk = this.chunkAt(segment, at)
    } catch (err) {
      this.log.error({ err, file: segment.path, offset: at }, 'log: a message body kept on disk could not be read')
      return undefined
    }
    const body = publishBodyAt(chunk.data, at - chunk.start, chunk.end - chunk.start)
    if (body === undefined) this.log.error({ file: segment.path, offset: at }, 'log: no valid publish record where a message body was kept')
    return body
  }

  /**
   * The offset of the native publish record of `seq` in `segment`, reading forward from `at`,
   * where the native record of `fromSeq` is (seq-index.ts); undefined when it is not there. The
   * records of a file older than version 5 carry no seq: each publish record there is the next.
   * Throws when the file cannot be read.
   */
  findSeq(segment: Segment, at: number, fromSeq: number, seq: number): number | undefined {
    let counter = fromSeq
    let found: number | undefined
    this.walk(segment, at, (s, offset) => {
      if (s === NO_SEQ) {
        if (counter === seq) found = offset
        counter++
        return found === undefined && counter <= seq
      }
      if (s === seq) found = offset
      return found === undefined && (s < segment.firstSeq || s < seq)
    })
    return found
  }

  /**
   * Calls `each` with the seq (NO_SEQ before version 5), offset and end of every publish record
   * of `segment` from `at` (its first record when undefined) on, in order, until it returns false.
   * Throws when the file cannot be read.
   */
  eachPublishFrom(segment: Segment, at: number | undefined, each: (seq: number, at: number, end: number) => boolean): void {
    this.walk(segment, at ?? headerBytes(segment.version), each)
  }

  /** Reads `segment` forward from `at` through its publish records until `each` returns false or the file ends. */
  private walk(segment: Segment, at: number, each: (seq: number, at: number, end: number) => boolean): void {
    let offset = at
    while (offset + RECORD_HEADER_BYTES <= segment.size) {
      const chunk = this.chunkAt(segment, offset)
      const rel = offset - chunk.start
      if (offset + RECORD_HEADER_BYTES > chunk.end) return
      const length = chunk.data.readUInt32BE(rel)
      // No record can be this long, or it runs past what was read: damage, where nothing more is found.
      if (length > MAX_PAYLOAD_BYTES || offset + RECORD_HEADER_BYTES + length > chunk.end) return
      const seq = publishSeqAt(chunk.data, rel, rel + RECORD_HEADER_BYTES + length)
      const end = offset + RECORD_HEADER_BYTES + length
      if (seq !== NOT_PUBLISH && !each(seq, offset, end)) return
      offset = end
    }
  }

  /** The chunk holding the whole record at `at` (the last one read when it does). */
  private chunkAt(segment: Segment, at: number): Chunk {
    const chunk = this.chunk
    if (chunk && chunk.segment === segment && at >= chunk.start && at + RECORD_HEADER_BYTES <= chunk.end &&
      at + recordSize(chunk.data, at - chunk.start) <= chunk.end) return chunk
    return this.readChunk(segment, at)
  }

  /** The segment is gone: its read descriptor is closed, its chunk forgotten. */
  forget(segment: Segment): void {
    if (this.chunk?.segment === segment) this.chunk = undefined
    const fd = this.readers.get(segment)
    if (fd === undefined) return
    this.readers.delete(segment)
    try {
      this.fs.closeRead(fd)
    } catch {
      // Closing a read-only descriptor cannot lose anything.
    }
  }

  /** Every descriptor is closed (the log is closing). */
  forgetAll(): void {
    for (const segment of [...this.readers.keys()]) this.forget(segment)
  }

  /** Fills `into` with up to `length` bytes of `segment` from `at` on (never past what was written); returns the bytes read. */
  read(segment: Segment, at: number, into: Buffer, length: number): number {
    let fd = this.readers.get(segment)
    if (fd === undefined) {
      fd = this.fs.openRead(segment.path)
      this.readers.set(segment, fd)
    }
    return this.fs.readAt(fd, into, Math.min(length, segment.size - at), at)
  }

  /** Reads from `at` on: a chunk's worth, or the whole record when it is longer. */
  private readChunk(segment: Segment, at: number): Chunk {
    const fs = this.fs
    let fd = this.readers.get(segment)
    if (fd === undefined) {
      fd = fs.openRead(segment.path)
      this.readers.set(segment, fd)
    }
    const written = segment.size - at
    let data = this.chunkBuffer
    let length = fs.readAt(fd, data, Math.min(READ_CHUNK_BYTES, written), at)
    if (length >= RECORD_HEADER_BYTES) {
      const size = recordSize(data, 0)
      if (size > length && size <= written) {
        data = Buffer.allocUnsafe(size)
        length = fs.readAt(fd, data, size, at)
      }
    }
    // A big record's own buffer is not kept: the next read starts afresh.
    const chunk = { segment, start: at, end: at + length, data }
    this.chunk = data === this.chunkBuffer ? chunk : undefined
    return chunk
  }
}
