// Kinds 4 and 5 (format version 2): the receive and delete records, one of each per delivered
// and acked message, in binary fields instead of JSON.
//
//   receive (4): queue: string | mid: string | receives u32 BE
//   delete (5):  queue: string | mid: string
//
// A string is its UTF-8 byte length u32 BE, then the bytes.
import type { JournalRecord } from '../journal.js'

export type SettleRecord = Extract<JournalRecord, { type: 'receive' } | { type: 'delete' }>

export function settleBytes(r: SettleRecord): number {
  return 8 + Buffer.byteLength(r.queue) + Buffer.byteLength(r.mid) + (r.type === 'receive' ? 4 : 0)
}

/** Writes the record's fields at `offset` (settleBytes of them). */
export function writeSettle(frame: Buffer, offset: number, r: SettleRecord): void {
  let o = putString(frame, offset, r.queue)
  o = putString(frame, o, r.mid)
  if (r.type === 'receive') frame.writeUInt32BE(r.receives, o)
}

function putString(frame: Buffer, offset: number, text: string): number {
  const bytes = frame.write(text, offset + 4, 'utf8')
  frame.writeUInt32BE(bytes, offset)
  return offset + 4 + bytes
}

/** The record in payload bytes [start, end); throws on a malformed payload. */
export function readSettle(data: Buffer, start: number, end: number, receive: boolean): SettleRecord {
  const queueEnd = start + 4 + data.readUInt32BE(start)
  if (queueEnd + 4 > end) throw new RangeError('queue runs past the record')
  const midEnd = queueEnd + 4 + data.readUInt32BE(queueEnd)
  if (midEnd + (receive ? 4 : 0) !== end) throw new RangeError('record length does not match its fields')
  const queue = data.toString('utf8', start + 4, queueEnd)
  const mid = data.toString('utf8', queueEnd + 4, midEnd)
  if (receive) return { type: 'receive', queue, mid, receives: data.readUInt32BE(midEnd) }
  return { type: 'delete', queue, mid }
}
