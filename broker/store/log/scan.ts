// Journal.scan: a queue reads ahead from its backlog, forward through the segments, in chunks.
import type { LogHandle, LogPosition, PublishRecord } from '../journal.js'
import type { BodyReader } from './body-reader.js'
import { MAX_PAYLOAD_BYTES, RECORD_HEADER_BYTES, decodeRecordAt, headerBytes } from './format.js'
import type { Segment } from './live-index.js'

/** Bytes read at once when a queue reads ahead from its backlog (Journal.scan). */
const SCAN_CHUNK_BYTES = 256 * 1024

export class Scanner {
  private buffer: Buffer | undefined

  /** `seqAt`: the seq of a publish record of a file older than version 5, which does not carry it. */
  constructor(private readonly bodies: BodyReader, private readonly seqAt: (segment: Segment, at: number) => number | undefined) {}

  /**
   * Reads forward from `from` (a segment that is gone since is passed by: the next one still
   * here goes on) in chunks, stepping over bytes that hold no valid record as start-up does.
   */
  scan(
    segments: readonly Segment[], from: LogHandle, until: LogPosition | undefined,
    visit: (record: PublishRecord, where: unknown, at: number) => boolean,
  ): LogHandle {
    const bodies = this.bodies
    const first = from.where as Segment
    let index = 0
    while (index < segments.length && (segments[index] as Segment).id < first.id) index++
    let segment = segments[index]
    if (segment === undefined) return from
    let at = segment === first ? from.at : headerBytes(segment.version)
    for (;;) {
      let limit = segment.size
      if (until !== undefined) {
        if (segment.id > until.segment) return { where: segment, at }
        if (segment.id === until.segment) limit = Math.min(limit, until.at)
      }
      if (at >= limit) {
        const next = segments[index + 1]
        if (next === undefined || (until !== undefined && segment.id === until.segment)) return { where: segment, at }
        segment = next
        index++
        at = headerBytes(segment.version)
        continue
      }
      let data = (this.buffer ??= Buffer.allocUnsafeSlow(SCAN_CHUNK_BYTES))
      let length = bodies.read(segment, at, data, Math.min(data.length, limit - at))
      if (length >= RECORD_HEADER_BYTES) {
        const size = RECORD_HEADER_BYTES + data.readUInt32BE(0)
        if (size > length && size <= limit - at && size <= MAX_PAYLOAD_BYTES + RECORD_HEADER_BYTES) {
          data = Buffer.allocUnsafe(size)
          length = bodies.read(segment, at, data, size)
        }
      }
      if (length === 0) return { where: segment, at }
      const read = length === data.length ? data : data.subarray(0, length)
      let offset = 0
      while (offset + RECORD_HEADER_BYTES <= length) {
        const size = RECORD_HEADER_BYTES + data.readUInt32BE(offset)
        if (offset + size > length && offset > 0) break
        const record = offset + size <= length ? decodeRecordAt(read, offset, true) : undefined
        if (record === undefined) {
          // No valid record here (damage start-up reported): look for the next one byte by byte.
          offset++
          continue
        }
        offset += size
        if (record.type !== 'publish') continue
        if (record.seq === undefined) record.seq = this.seqAt(segment, at + offset - size)
        if (!visit(record, segment, at + offset - size)) return { where: segment, at: at + offset }
      }
      if (offset === 0) offset = length
      at += offset
    }
  }
}
