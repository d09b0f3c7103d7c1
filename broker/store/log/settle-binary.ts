// Kinds 4 and 5 (format version 2): the receive and delete records, one of each per delivered
// and acked message, in binary fields instead of JSON.
//
//   receive (4): queue: string | mid: string | receives u32 BE
//   delete (5):  queue: string | mid: string
//
// A string is its UTF-8 byte length u32 BE, then the bytes.
import type { JournalRecord } from '../journal.js'
import { putString, putU32, stringRoom, type Writable } from './frame-buffer.js'

export type SettleRecord = Extract<JournalRecord, { type: 'receive' } | { type: 'delete' }>

/** Room the payload may take (see FrameBuffer). */
export function settleRoom(r: SettleRecord): number {
  return stringRoom(r.queue) + stringRoom(r.mid) + 4
}

/** Writes the record's fields at `offset`; returns where they end. */
export function writeSettle(frame: Writable, offset: number, r: SettleRecord): number {
  const o = putString(frame, putString(frame, offset, r.queue), r.mid)
  return r.type === 'receive' ? putU32(frame, o, r.receives) : o
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
