// Reading a written message's body (and attrs) back from its segment, for bodies kept on disk
// only (PROTOCOL.md §9): synchronous reads in chunks, since the bodies of the messages behind one
// were mostly written right after it and are usually wanted next.
import type { Logger } from '../../../shared/logger.js'
import type { LogHandle, StoredBody } from '../journal.js'
import { RECORD_HEADER_BYTES, publishBodyAt, recordSize } from './format.js'
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

  /** The body and attrs of the publish record at `handle`, from the last chunk read when it holds it. */
  bodyAt(handle: LogHandle): StoredBody | undefined {
    const segment = handle.where as Segment | undefined
    if (!segment) return undefined
    const at = handle.at
    let chunk = this.chunk
    if (!chunk || chunk.segment !== segment || at < chunk.start || at + RECORD_HEADER_BYTES > chunk.end ||
      at + recordSize(chunk.data, at - chunk.start) > chunk.end) {
      try {
        chunk = this.readChunk(segment, at)
      } catch (err) {
        this.log.error({ err, file: segment.path, offset: at }, 'log: a message body kept on disk could not be read')
        return undefined
      }
    }
    const body = publishBodyAt(chunk.data, at - chunk.start, chunk.end - chunk.start)
    if (body === undefined) this.log.error({ file: segment.path, offset: at }, 'log: no valid publish record where a message body was kept')
    return body
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
