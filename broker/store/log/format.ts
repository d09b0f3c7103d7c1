// The on-disk format of one segment file (version 5; versions 1 to 4 are still read):
//
//   file header, 24 bytes: "HUBQLOG\0" | version u16 BE | reserved u16 | first seq u64 BE | CRC-32 of the 20 bytes before
//   (versions 1 to 4: 16 bytes, "HUBQLOG\0" | version u16 BE | reserved u16 | CRC-32 of the 12 bytes before)
//   then records, each: payload length u32 BE | CRC-32 u32 BE | kind u8 | payload
//
// The CRC covers the length, the kind and the payload, so a flipped bit anywhere in a record,
// its length included, makes the record invalid. Kinds: 1 = a JournalRecord as JSON; 2 = a publish
// record as JSON without its body, a newline, then the body's JSON text as it came in (so a body
// is neither escaped into a string nor parsed twice); from version 2 on, 3 = a publish record with
// binary metadata, then the body's JSON text (publish-binary.ts), 4 and 5 = receive and delete
// records in binary (settle-binary.ts); from version 5 on, 6 = a publish record's log sequence
// number (seq) u64 BE, then the payload of kind 3: what this version writes for publishes.
// Version 1 files hold kinds 1 and 2 only; records are never appended to one (a new segment is
// started instead), so an older hubq never meets a kind in a file it can read. A reader meeting a
// newer version refuses to start rather than guess. Version 3 adds a publish flag (per-queue
// visible times of a fan-out) and the `expire` record (kind 1): a version 2 reader would misread
// the one and count the other as damage, so it refuses a version 3 file instead. Version 4 adds a
// publish flag (which queues' backlogs the message joins, publish-binary.ts) and the `advance`
// record (kind 1): a version 3 reader would take the flag's bytes for the body's, so it refuses a
// version 4 file. Version 5 adds the seq: every publish record carries its own (kind 6; a
// compacted copy carries the seq of the message it copies), and the header the seq the log was
// to hand out next when the file was started, so that the seqs first published in a file (its
// native range: from its first seq to the next file's) are known without reading it. The
// publish records of older files get seqs at start-up, in log order (recovery.ts).
import type { JournalRecord, PublishRecord, StoredBody } from '../journal.js'
import { crc32, frameCrc } from './crc32.js'
import { FrameBuffer, putText, putU32, textRoom } from './frame-buffer.js'
import { publishRoom, readPublish, readPublishBody, writePublish } from './publish-binary.js'
import { readSettle, settleRoom, writeSettle, type SettleRecord } from './settle-binary.js'

export const FORMAT_VERSION = 5
/** The header of a file of this version; LEGACY_HEADER_BYTES before version 5 (headerBytes). */
export const FILE_HEADER_BYTES = 24
export const LEGACY_HEADER_BYTES = 16
export const RECORD_HEADER_BYTES = 9
/** Larger lengths are garbage: no record comes near it (a frame is at most 16 MiB). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
const MAGIC = Buffer.from('HUBQLOG\0', 'latin1')
const KIND_JSON = 1
// Kind 2 is the version 1 publish (JSON head, newline, body JSON): decodeRecordAt's last case.
const KIND_PUBLISH_BINARY = 3
const KIND_RECEIVE = 4
const KIND_DELETE = 5
const KIND_PUBLISH_SEQ = 6
const NEWLINE = 0x0a
const SEQ_BYTES = 8

/** Where the records of a file of `version` start. */
export function headerBytes(version: number | undefined): number {
  return version === undefined || version >= 5 ? FILE_HEADER_BYTES : LEGACY_HEADER_BYTES
}

/** The header of a new file: `firstSeq`, the seq the log hands out next. */
export function encodeFileHeader(firstSeq: number): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES)
  MAGIC.copy(header, 0)
  header.writeUInt16BE(FORMAT_VERSION, 8)
  putSeq(header, 12, firstSeq)
  header.writeUInt32BE(crc32(header.subarray(0, 20)), 20)
  return header
}

/** `firstSeq` and `start` (where its records start): set from version 5 on, 0 and 16 before. */
export type FileHeaderCheck = { ok: true; version: number; firstSeq: number; start: number } | { ok: false; reason: string }

export function checkFileHeader(data: Buffer): FileHeaderCheck {
  if (data.length < LEGACY_HEADER_BYTES) return { ok: false, reason: `file shorter than its ${LEGACY_HEADER_BYTES}-byte header` }
  if (!data.subarray(0, 8).equals(MAGIC)) return { ok: false, reason: 'not a hubq log segment (bad magic)' }
  const version = data.readUInt16BE(8)
  if (version < 5) {
    if (data.readUInt32BE(12) !== crc32(data.subarray(0, 12))) return { ok: false, reason: 'file header CRC mismatch' }
    return { ok: true, version, firstSeq: 0, start: LEGACY_HEADER_BYTES }
  }
  if (data.length < FILE_HEADER_BYTES) return { ok: false, reason: `file shorter than its ${FILE_HEADER_BYTES}-byte header` }
  if (data.readUInt32BE(20) !== crc32(data.subarray(0, 20))) return { ok: false, reason: 'file header CRC mismatch' }
  return { ok: true, version, firstSeq: getSeq(data, 12), start: FILE_HEADER_BYTES }
}

/** A seq as u64 BE: two u32 halves (seqs stay below 2^53). */
function putSeq(data: Buffer, offset: number, seq: number): number {
  data.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), offset)
  data.writeUInt32BE(seq % 0x1_0000_0000, offset + 4)
  return offset + SEQ_BYTES
}

function getSeq(data: Buffer, offset: number): number {
  return data.readUInt32BE(offset) * 0x1_0000_0000 + data.readUInt32BE(offset + 4)
}

/** Encodes a record as one frame at the end of `out`. */
export function encodeRecordInto(out: FrameBuffer, record: JournalRecord): void {
  if (record.type === 'publish') encodePublish(out, record)
  else if (record.type === 'receive' || record.type === 'delete') encodeSettle(out, record)
  else encodeJson(out, record)
}

/** One record as a frame of its own. */
export function encodeRecord(record: JournalRecord): Buffer {
  const out = new FrameBuffer(256)
  encodeRecordInto(out, record)
  return Buffer.from(out.bytes())
}

function encodeJson(out: FrameBuffer, record: JournalRecord): void {
  const text = JSON.stringify(record)
  const frame = out.reserve(RECORD_HEADER_BYTES + textRoom(text))
  finishFrame(out, frame, KIND_JSON, putText(frame, out.length + RECORD_HEADER_BYTES, text))
}

/** A receive or delete record as kind 4 or 5: binary fields. */
function encodeSettle(out: FrameBuffer, record: SettleRecord): void {
  const frame = out.reserve(RECORD_HEADER_BYTES + settleRoom(record))
  const end = writeSettle(frame, out.length + RECORD_HEADER_BYTES, record)
  finishFrame(out, frame, record.type === 'receive' ? KIND_RECEIVE : KIND_DELETE, end)
}

/** A publish record as kind 6 (its seq, then kind 3's payload), or as kind 3 when it has no seq. */
function encodePublish(out: FrameBuffer, record: PublishRecord): void {
  const attrsJson = record.attrs === undefined ? undefined : JSON.stringify(record.attrs)
  const seq = record.seq
  const head = seq === undefined ? 0 : SEQ_BYTES
  const frame = out.reserve(RECORD_HEADER_BYTES + head + publishRoom(record, attrsJson))
  const start = out.length + RECORD_HEADER_BYTES
  if (seq !== undefined) putSeq(frame, start, seq)
  const end = writePublish(frame, start + head, record, attrsJson)
  finishFrame(out, frame, seq === undefined ? KIND_PUBLISH_BINARY : KIND_PUBLISH_SEQ, end)
}

/** Fills in the header of the frame whose payload was just written up to `end`, and takes it in. */
function finishFrame(out: FrameBuffer, frame: Buffer, kind: number, end: number): void {
  const offset = out.length
  putU32(frame, offset, end - offset - RECORD_HEADER_BYTES)
  frame[offset + 8] = kind
  // CRC over length and kind (bytes 0-3 and 8), then the payload.
  putU32(frame, offset + 4, frameCrc(frame, offset, end))
  out.length = end
}

/**
 * The whole, CRC-valid record starting at `offset`, or undefined when there is none there.
 * Without `bodies`, a binary publish record comes without its body (see readPublish).
 */
export function decodeRecordAt(data: Buffer, offset: number, bodies = true): JournalRecord | undefined {
  if (offset + RECORD_HEADER_BYTES > data.length) return undefined
  const length = data.readUInt32BE(offset)
  if (length === 0 || length > MAX_PAYLOAD_BYTES) return undefined
  const start = offset + RECORD_HEADER_BYTES
  const end = start + length
  if (end > data.length) return undefined
  const kind = data[offset + 8]
  if (kind === undefined || kind < KIND_JSON || kind > KIND_PUBLISH_SEQ) return undefined
  if (frameCrc(data, offset, end) !== data.readUInt32BE(offset + 4)) return undefined
  try {
    // Straight from the segment's bytes: no copy of the payload, no copy of the parsed record.
    if (kind === KIND_PUBLISH_SEQ) {
      if (start + SEQ_BYTES > end) return undefined
      const record = readPublish(data, start + SEQ_BYTES, end, bodies)
      record.seq = getSeq(data, start)
      return record
    }
    if (kind === KIND_PUBLISH_BINARY) return readPublish(data, start, end, bodies)
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

/**
 * The body and attrs of the whole, CRC-valid binary publish record starting at `offset` and
 * ending by `limit` (kind 3 or 6), or undefined when there is none there.
 */
export function publishBodyAt(data: Buffer, offset: number, limit = data.length): StoredBody | undefined {
  if (offset + RECORD_HEADER_BYTES > limit) return undefined
  const length = data.readUInt32BE(offset)
  const start = offset + RECORD_HEADER_BYTES
  const end = start + length
  const kind = data[offset + 8]
  if (length === 0 || end > limit || (kind !== KIND_PUBLISH_BINARY && kind !== KIND_PUBLISH_SEQ)) return undefined
  if (frameCrc(data, offset, end) !== data.readUInt32BE(offset + 4)) return undefined
  try {
    return readPublishBody(data, kind === KIND_PUBLISH_SEQ ? start + SEQ_BYTES : start, end)
  } catch {
    return undefined
  }
}

/**
 * What the record whose header starts at `offset` is, for a walk through a file's publish
 * records by seq (no CRC check, no decoding): its seq for kind 6, NO_SEQ for a publish record of
 * an older version (kinds 2 and 3; kind 1 when its JSON says so), NOT_PUBLISH for any other.
 */
export function publishSeqAt(data: Buffer, offset: number, end: number): number {
  const kind = data[offset + 8]
  const start = offset + RECORD_HEADER_BYTES
  if (kind === KIND_PUBLISH_SEQ) return start + SEQ_BYTES <= end ? getSeq(data, start) : NOT_PUBLISH
  if (kind === KIND_PUBLISH_BINARY || kind === 2) return NO_SEQ
  if (kind !== KIND_JSON) return NOT_PUBLISH
  const record = decodeRecordAt(data, offset, false)
  return record?.type === 'publish' ? NO_SEQ : NOT_PUBLISH
}

export const NO_SEQ = -1
export const NOT_PUBLISH = -2

/** The size of the record whose header starts at `offset` (header included), read from its length field. */
export function recordSize(data: Buffer, offset: number): number {
  return RECORD_HEADER_BYTES + data.readUInt32BE(offset)
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
export function scanRecords(
  data: Buffer, onRecord: (record: JournalRecord, offset: number) => void, start = FILE_HEADER_BYTES, bodies = true,
): Gap[] {
  const gaps: Gap[] = []
  let offset = start
  while (offset < data.length) {
    const record = decodeRecordAt(data, offset, bodies)
    if (record) {
      onRecord(record, offset)
      offset = recordEnd(data, offset)
      continue
    }
    let next = offset + 1
    while (next < data.length && !decodeRecordAt(data, next, false)) next++
    gaps.push({ from: offset, to: next, resumed: next < data.length })
    offset = next
  }
  return gaps
}
