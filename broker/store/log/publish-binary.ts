// Kind 3 (format version 2): a publish record's metadata in fixed binary fields, then the body's
// JSON text as it came in. A restart reads millions of these; fields read at known offsets cost
// a fraction of a JSON.parse per record, and writing them needs no JSON.stringify per field.
//
//   flags u8 | publishedAt f64 BE | visibleAt f64 BE | queue count u32 BE | each queue: string
//   | mid: string | [attrs: string (JSON)] | [group: string] | [dedupId: string] | [origin: string]
//   | [receives u32 BE] | [visibleAts: f64 BE per queue] | [backlog: u8 per queue, 1 = joins that queue's backlog]
//   | body (the rest of the payload, UTF-8 JSON text)
//
// A string is its UTF-8 byte length u32 BE, then the bytes. The flags say which [optional]
// fields follow, in the order above.
import type { PublishRecord, StoredBody } from '../journal.js'
import { putString, putText, putU32, stringRoom, textRoom, type Writable } from './frame-buffer.js'

const ATTRS = 1
const GROUP = 2
const DEDUP_ID = 4
const ORIGIN = 8
const RECEIVES = 16
const QUEUE_DELAY = 32
/** From format version 3 on. */
const VISIBLE_ATS = 64
/** From format version 4 on. */
const BACKLOG = 128

const FIXED_BYTES = 1 + 8 + 8 + 4

/** Every field of a publish record the writer below handles; the compiler flags one added and not written. */
type WrittenPublishField = 'type' | 'queues' | 'mid' | 'attrs' | 'publishedAt' | 'visibleAt' | 'group' | 'dedupId' | 'receives' | 'origin' | 'queueDelay' | 'visibleAts' | 'backlog' | 'bodyJson'
/** `seq` is written ahead of these fields, by format.ts (kind 6). */
type UnwrittenPublishField = Exclude<keyof PublishRecord, WrittenPublishField | 'seq'>
const everyPublishFieldWritten: UnwrittenPublishField extends never ? true : never = true
void everyPublishFieldWritten

/** Room the payload may take (see FrameBuffer); `attrsJson` as given to writePublish. */
export function publishRoom(r: PublishRecord, attrsJson: string | undefined): number {
  let size = FIXED_BYTES + stringRoom(r.mid) + textRoom(r.bodyJson)
  for (const queue of r.queues) size += stringRoom(queue)
  if (attrsJson !== undefined) size += stringRoom(attrsJson)
  if (r.group !== undefined) size += stringRoom(r.group)
  if (r.dedupId !== undefined) size += stringRoom(r.dedupId)
  if (r.origin !== undefined) size += stringRoom(r.origin)
  if (r.receives !== undefined) size += 4
  if (r.visibleAts !== undefined) size += 8 * r.visibleAts.length
  if (r.backlog !== undefined) size += r.queues.length
  return size
}

/** Writes the payload (metadata, then the body) at `offset`; returns where it ends. */
export function writePublish(frame: Writable, offset: number, r: PublishRecord, attrsJson: string | undefined): number {
  let flags = 0
  if (attrsJson !== undefined) flags |= ATTRS
  if (r.group !== undefined) flags |= GROUP
  if (r.dedupId !== undefined) flags |= DEDUP_ID
  if (r.origin !== undefined) flags |= ORIGIN
  if (r.receives !== undefined) flags |= RECEIVES
  if (r.queueDelay) flags |= QUEUE_DELAY
  if (r.visibleAts !== undefined) flags |= VISIBLE_ATS
  if (r.backlog !== undefined) flags |= BACKLOG
  frame[offset] = flags
  let o = frame.writeDoubleBE(r.publishedAt, offset + 1)
  o = frame.writeDoubleBE(r.visibleAt, o)
  const queues = r.queues
  o = putU32(frame, o, queues.length)
  for (let i = 0; i < queues.length; i++) o = putString(frame, o, queues[i] as string)
  o = putString(frame, o, r.mid)
  if (attrsJson !== undefined) o = putString(frame, o, attrsJson)
  if (r.group !== undefined) o = putString(frame, o, r.group)
  if (r.dedupId !== undefined) o = putString(frame, o, r.dedupId)
  if (r.origin !== undefined) o = putString(frame, o, r.origin)
  if (r.receives !== undefined) o = putU32(frame, o, r.receives)
  if (r.visibleAts !== undefined) for (const at of r.visibleAts) o = frame.writeDoubleBE(at, o)
  const backlog = r.backlog
  if (backlog !== undefined) for (let i = 0; i < queues.length; i++) frame[o++] = backlog[i] === true ? 1 : 0
  return putText(frame, o, r.bodyJson)
}

/** utf8Slice is what toString('utf8') ends in, without its argument checks (callers check the bounds). */
type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string }

/** Where the string being read ends; module state instead of a tuple per string. */
let cursor = 0

function getString(data: Buffer, offset: number, end: number): string {
  const length = data.readUInt32BE(offset)
  const from = offset + 4
  cursor = from + length
  if (cursor > end) throw new RangeError('string runs past the record')
  return (data as Utf8Buffer).utf8Slice(from, cursor)
}

/** Queue names this long or shorter are compared with the last one read (see getQueue). */
const QUEUE_CACHE_BYTES = 64
const lastQueueBytes = new Uint8Array(QUEUE_CACHE_BYTES)
let lastQueueLength = -1
let lastQueue = ''

/**
 * A queue name: the string read last when its bytes are the same. A backlog read back holds
 * run after run of one queue's records, and a string per record would be garbage at once.
 */
function getQueue(data: Buffer, offset: number, end: number): string {
  const length = data.readUInt32BE(offset)
  const from = offset + 4
  cursor = from + length
  if (cursor > end) throw new RangeError('string runs past the record')
  if (length === lastQueueLength && sameBytes(data, from, length)) return lastQueue
  const queue = (data as Utf8Buffer).utf8Slice(from, cursor)
  if (length <= QUEUE_CACHE_BYTES) {
    // Copied here rather than through a subarray: a fan-out's names alternate, and miss each time.
    for (let i = 0; i < length; i++) lastQueueBytes[i] = data[from + i] as number
    lastQueueLength = length
    lastQueue = queue
  }
  return queue
}

function sameBytes(data: Buffer, from: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (data[from + i] !== lastQueueBytes[i]) return false
  return true
}

/**
 * The record in payload bytes [start, end); throws on a malformed payload. Without `body` its
 * bodyJson is left empty (no JSON text is) and its attrs are not read: they stay in the file
 * with the body, to be read with it when wanted (readPublishBody).
 */
export function readPublish(data: Buffer, start: number, end: number, body = true): PublishRecord {
  if (start + FIXED_BYTES > end) throw new RangeError('publish record too short')
  const flags = data[start] as number
  const publishedAt = data.readDoubleBE(start + 1)
  const visibleAt = data.readDoubleBE(start + 9)
  const count = data.readUInt32BE(start + 17)
  // Each queue takes at least its 4 length bytes: a larger count is garbage, not an allocation.
  if (count > (end - start - FIXED_BYTES) / 4) throw new RangeError('queue count runs past the record')
  cursor = start + FIXED_BYTES
  const queues: string[] = new Array<string>(count)
  for (let i = 0; i < count; i++) queues[i] = getQueue(data, cursor, end)
  const mid = getString(data, cursor, end)
  const record: PublishRecord = { type: 'publish', queues, mid, bodyJson: '', publishedAt, visibleAt }
  if (flags & ATTRS) {
    const attrsJson = getString(data, cursor, end)
    if (body) record.attrs = JSON.parse(attrsJson) as PublishRecord['attrs']
  }
  if (flags & GROUP) record.group = getString(data, cursor, end)
  if (flags & DEDUP_ID) record.dedupId = getString(data, cursor, end)
  if (flags & ORIGIN) record.origin = getString(data, cursor, end)
  if (flags & RECEIVES) {
    if (cursor + 4 > end) throw new RangeError('receives runs past the record')
    record.receives = data.readUInt32BE(cursor)
    cursor += 4
  }
  if (flags & QUEUE_DELAY) record.queueDelay = true
  if (flags & VISIBLE_ATS) {
    if (cursor + 8 * count > end) throw new RangeError('visible times run past the record')
    const visibleAts: number[] = new Array<number>(count)
    for (let i = 0; i < count; i++) visibleAts[i] = data.readDoubleBE(cursor + 8 * i)
    record.visibleAts = visibleAts
    cursor += 8 * count
  }
  if (flags & BACKLOG) {
    if (cursor + count > end) throw new RangeError('backlog flags run past the record')
    const backlog: boolean[] = new Array<boolean>(count)
    for (let i = 0; i < count; i++) backlog[i] = data[cursor + i] === 1
    record.backlog = backlog
    cursor += count
  }
  if (cursor > end) throw new RangeError('body starts past the record')
  if (body) record.bodyJson = (data as Utf8Buffer).utf8Slice(cursor, end)
  return record
}

/**
 * The body and the attrs, from payload bytes [start, end): the other fields are stepped over,
 * not read (a delivery of a body kept on disk needs nothing else). Throws on a malformed payload.
 */
export function readPublishBody(data: Buffer, start: number, end: number): StoredBody {
  if (start + FIXED_BYTES > end) throw new RangeError('publish record too short')
  const flags = data[start] as number
  // The queues and the mid, then the attrs, then the optional strings the flags announce.
  let strings = data.readUInt32BE(start + 17) + 1
  let o = start + FIXED_BYTES
  for (let i = 0; i < strings; i++) {
    if (o + 4 > end) throw new RangeError('string runs past the record')
    o += 4 + data.readUInt32BE(o)
  }
  let attrs: PublishRecord['attrs']
  if (flags & ATTRS) {
    if (o + 4 > end) throw new RangeError('attrs run past the record')
    attrs = JSON.parse(getString(data, o, end)) as PublishRecord['attrs']
    o = cursor
  }
  strings = 0
  if (flags & GROUP) strings++
  if (flags & DEDUP_ID) strings++
  if (flags & ORIGIN) strings++
  for (let i = 0; i < strings; i++) {
    if (o + 4 > end) throw new RangeError('string runs past the record')
    o += 4 + data.readUInt32BE(o)
  }
  if (flags & RECEIVES) o += 4
  if (flags & VISIBLE_ATS) o += 8 * data.readUInt32BE(start + 17)
  if (flags & BACKLOG) o += data.readUInt32BE(start + 17)
  if (o > end) throw new RangeError('body starts past the record')
  return { bodyJson: (data as Utf8Buffer).utf8Slice(o, end), attrs }
}
