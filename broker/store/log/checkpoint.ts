// A checkpoint beside the segments (PROTOCOL.md §9): the store's state as it stood at one place
// in the log, so that a restart loads it and replays only the records after that place, not every
// record of a deep backlog. One file, `checkpoint`, replaced whole: written to `checkpoint.tmp`,
// fsynced, renamed over the old one, and the folder fsynced. A file that is missing, torn or
// damaged is not used: the log is replayed from its first segment, as before checkpoints.
//
//   "HUBQCKP1" | CRC-32 u32 BE of the payload | payload: UTF-8 JSON of CheckpointFile
import { join } from 'node:path'
import type { Logger } from '../../../shared/logger.js'
import type { LogPosition } from '../journal.js'
import { crc32 } from './crc32.js'
import type { LogFs } from './fs.js'

const MAGIC = Buffer.from('HUBQCKP1', 'latin1')
const HEADER_BYTES = MAGIC.length + 4
export const CHECKPOINT_NAME = 'checkpoint'

/** What a segment was when the checkpoint was written: enough to use it without reading it. */
export interface SegmentEntry {
  id: number
  size: number
  entries: number
  metadata: boolean
  version?: number
  /** The first seq of its native range. */
  firstSeq: number
  /** The compaction copies it holds: seq, offset, seq, offset... (absent when none). */
  copies?: number[]
}

export interface CheckpointFile {
  /** Every record before it is in the state; replay starts here. */
  position: LogPosition
  /** The segments before `position` (and the one it is in), as they were. */
  segments: SegmentEntry[]
  /** The seq the log was to hand out next. A checkpoint without it was taken by an older version: not used. */
  nextSeq: number
  /** The store's state (LiveView.checkpoint). */
  store: unknown
}

export function encodeCheckpoint(checkpoint: CheckpointFile): Buffer {
  const payload = Buffer.from(JSON.stringify(checkpoint), 'utf8')
  const header = Buffer.alloc(HEADER_BYTES)
  MAGIC.copy(header, 0)
  header.writeUInt32BE(crc32(payload), MAGIC.length)
  return Buffer.concat([header, payload])
}

export function decodeCheckpoint(data: Buffer): CheckpointFile | string {
  if (data.length < HEADER_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) return 'not a hubq checkpoint'
  const payload = data.subarray(HEADER_BYTES)
  if (crc32(payload) !== data.readUInt32BE(MAGIC.length)) return 'CRC mismatch'
  try {
    const checkpoint = JSON.parse(payload.toString('utf8')) as CheckpointFile
    if (typeof checkpoint.position?.segment !== 'number' || !Array.isArray(checkpoint.segments)) return 'malformed'
    if (typeof checkpoint.nextSeq !== 'number') return 'written by an older version, without seqs'
    return checkpoint
  } catch {
    return 'malformed JSON'
  }
}

/** The checkpoint in `dir`, or undefined when there is none worth using (a damaged one is logged). */
export async function readCheckpoint(fs: LogFs, dir: string, log: Logger): Promise<CheckpointFile | undefined> {
  if (!(await fs.readdir(dir)).includes(CHECKPOINT_NAME)) return undefined
  const path = join(dir, CHECKPOINT_NAME)
  const decoded = decodeCheckpoint(await fs.readFile(path))
  if (typeof decoded === 'string') {
    log.warn({ file: path, reason: decoded }, `log: the checkpoint ${path} is not usable (${decoded}); replaying the whole log`)
    return undefined
  }
  return decoded
}

/** Writes the checkpoint in place of the old one, crash-safe: temp file, fsync, rename, folder fsync. */
export async function writeCheckpoint(fs: LogFs, dir: string, checkpoint: CheckpointFile): Promise<void> {
  const temp = join(dir, `${CHECKPOINT_NAME}.tmp`)
  const fd = await fs.open(temp, 'w')
  try {
    await fs.write(fd, encodeCheckpoint(checkpoint), 0)
    await fs.fdatasync(fd)
  } finally {
    await fs.close(fd)
  }
  await fs.rename(temp, join(dir, CHECKPOINT_NAME))
  const dirFd = await fs.open(dir, 'r')
  try {
    await fs.fsync(dirFd)
  } finally {
    await fs.close(dirFd)
  }
}
