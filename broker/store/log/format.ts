// The on-disk format of one segment file (version 2; version 1 files are still read):
//
//   file header, 16 bytes: "HUBQLOG\0" | version u16 BE | reserved u16 | CRC-32 of the 12 bytes before
//   then records, each: payload length u32 BE | CRC-32 u32 BE | kind u8 | payload
//
// The CRC covers the length, the kind and the payload, so a flipped bit anywhere in a record,
// its length included, makes the record invalid. Kinds: 1 = a JournalRecord as JSON; 2 = a publish
// record as JSON without its body, a newline, then the body's JSON text as it came in (so a body
// is neither escaped into a string nor parsed twice); from version 2 on, 3 = a publish record with
// binary metadata, then the body's JSON text (publish-binary.ts), 4 and 5 = receive and delete
// records in binary (settle-binary.ts): what this version writes for those three. Version 1
// files hold kinds 1 and 2 only; records are never appended to one (a new segment is started
// instead), so an older hubq never meets kinds 3-5 in a file it can read. A reader meeting a
// newer version refuses to start rather than guess.
import type { JournalRecord, PublishRecord } from '../journal.js'
import { crc32, crc32Table } from './crc32.js'
import { publishMetaBytes, readPublish, writePublishMeta } from './publish-binary.js'
import { readSettle, settleBytes, writeSettle, type SettleRecord } from './settle-binary.js'

export const FORMAT_VERSION = 2
export const FILE_HEADER_BYTES = 16
export const RECORD_HEADER_BYTES = 9
/** Larger lengths are garbage: no record comes near it (a frame is at most 16 MiB). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
const MAGIC = Buffer.from('HUBQLOG\0', 'latin1')
const KIND_JSON = 1
const KIND_PUBLISH = 2
const KIND_PUBLISH_BINARY = 3
const KIND_RECEIVE = 4
const KIND_DELETE = 5
const NEWLINE = 0x0a

export function encodeFileHeader(): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES)
  MAGIC.copy(header, 0)
  header.writeUInt16BE(FORMAT_VERSION, 8)
  header.writeUInt32BE(crc32(header.subarray(0, 12)), 12)
  return header
}

export type FileHeaderCheck = { ok: true; version: number } | { ok: false; reason: string }

export function checkFileHeader(data: Buffer): FileHeaderCheck {
  if (data.length < FILE_HEADER_BYTES) return { ok: false, reason: `file shorter than its ${FILE_HEADER_BYTES}-byte header` }
  if (!data.subarray(0, 8).equals(MAGIC)) return { ok: false, reason: 'not a hubq log segment (bad magic)' }
  if (data.readUInt32BE(12) !== crc32(data.subarray(0, 12))) return { ok: false, reason: 'file header CRC mismatch' }
  return { ok: true, version: data.readUInt16BE(8) }
}

const CRC_TABLE = crc32Table()

export function encodeRecord(record: JournalRecord): Buffer {
  if (record.type === 'publish') return encodePublish(record)
  if (record.type === 'receive' || record.type === 'delete') return encodeSettle(record)
  const kind = KIND_JSON
  const text = JSON.stringify(record)
  // One allocation per record: the payload is encoded straight into the frame.
  const length = Buffer.byteLength(text, 'utf8')
  const frame = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length)
  frame.writeUInt32BE(length, 0)
  frame[8] = kind
  frame.write(text, RECORD_HEADER_BYTES, length, 'utf8')
  // CRC over length and kind (bytes 0-3 and 8), then the payload.
  frame.writeUInt32BE(crc32(frame.subarray(RECORD_HEADER_BYTES), headerCrc(frame, 0)), 4)
  return frame
}

/** A receive or delete record as kind 4 or 5: binary fields. */
function encodeSettle(record: SettleRecord): Buffer {
  const length = settleBytes(record)
  const frame = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length)
  frame.writeUInt32BE(length, 0)
  frame[8] = record.type === 'receive' ? KIND_RECEIVE : KIND_DELETE
  writeSettle(frame, RECORD_HEADER_BYTES, record)
  frame.writeUInt32BE(crc32(frame.subarray(RECORD_HEADER_BYTES), headerCrc(frame, 0)), 4)
  return frame
}

/** A publish record as kind 3: binary metadata, then the body's JSON text, in one allocation. */
function encodePublish(record: PublishRecord): Buffer {
  const attrsJson = record.attrs === undefined ? undefined : JSON.stringify(record.attrs)
  const bodyBytes = Buffer.byteLength(record.bodyJson, 'utf8')
  const length = publishMetaBytes(record, attrsJson) + bodyBytes
  const frame = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length)
  frame.writeUInt32BE(length, 0)
  frame[8] = KIND_PUBLISH_BINARY
  const bodyAt = writePublishMeta(frame, RECORD_HEADER_BYTES, record, attrsJson)
  frame.write(record.bodyJson, bodyAt, bodyBytes, 'utf8')
  frame.writeUInt32BE(crc32(frame.subarray(RECORD_HEADER_BYTES), headerCrc(frame, 0)), 4)
  return frame
}

/**
 * CRC-32 of a record's length and kind bytes (offset..offset+3 and offset+8), in JS: five bytes
 * are cheaper here than two native calls and the two buffer views they would need.
 */
function headerCrc(data: Buffer, offset: number): number {
  let crc = 0xffffffff
  for (let i = 0; i < 4; i++) crc = (CRC_TABLE[(crc ^ (data[offset + i] as number)) & 0xff] as number) ^ (crc >>> 8)
  crc = (CRC_TABLE[(crc ^ (data[offset + 8] as number)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** The whole, CRC-valid record starting at `offset`, or undefined when there is none there. */
export function decodeRecordAt(data: Buffer, offset: number): JournalRecord | undefined {
  if (offset + RECORD_HEADER_BYTES > data.length) return undefined
  const length = data.readUInt32BE(offset)
  if (length === 0 || length > MAX_PAYLOAD_BYTES) return undefined
  const start = offset + RECORD_HEADER_BYTES
  const end = start + length
  if (end > data.length) return undefined
  const kind = data[offset + 8]
  if (kind === undefined || kind < KIND_JSON || kind > KIND_DELETE) return undefined
  if (crc32(data.subarray(start, end), headerCrc(data, offset)) !== data.readUInt32BE(offset + 4)) return undefined
  try {
    // Straight from the segment's bytes: no copy of the payload, no copy of the parsed record.
    if (kind === KIND_PUBLISH_BINARY) return readPublish(data, start, end)
    if (kind === KIND_RECEIVE || kind === KIND_DELETE) return readSettle(data, start, end, kind === KIND_RECEIVE)
    if (kind === KIND_JSON) return JSON.parse(data.toString('utf8', start, end)) as JournalRecord
    const split = data.indexOf(NEWLINE, start)
    if (split < 0 || split >= end) return undefined
    const record = JSON.parse(data.toString('utf8', start, split)) as PublishRecord
    record.bodyJson = data.toString('utf8', split + 1, end)
    return record
  } catch {
    return undefined
  }
}

/** Where the record starting at `offset` ends (valid only once decodeRecordAt accepted it). */
export function recordEnd(data: Buffer, offset: number): number {
  return offset + RECORD_HEADER_BYTES + data.readUInt32BE(offset)
}

/** Bytes [from, to) hold no valid record; `to` is where the next valid record starts, or the end. */
export interface Gap {
  from: number
  to: number
  resumed: boolean
}

/**
 * Walks the records of one segment's bytes, handing each to `onRecord` in order, and returns
 * the stretches that held none. After a bad record it looks for the next valid one byte by
 * byte, so a damaged record in the middle costs that record, not the rest of the file.
 * A plain loop: a restart calls `onRecord` once per record, so no event object per record.
 */
export function scanRecords(data: Buffer, onRecord: (record: JournalRecord) => void, start = FILE_HEADER_BYTES): Gap[] {
  const gaps: Gap[] = []
  let offset = start
  while (offset < data.length) {
    const record = decodeRecordAt(data, offset)
    if (record) {
      onRecord(record)
      offset = recordEnd(data, offset)
      continue
    }
    let next = offset + 1
    while (next < data.length && !decodeRecordAt(data, next)) next++
    gaps.push({ from: offset, to: next, resumed: next < data.length })
    offset = next
  }
  return gaps
}
