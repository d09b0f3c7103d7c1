// Frame codec (PROTOCOL.md §1 "Framing"). Pure: chunks in, frames out, no sockets.
// Binary frames are a 4-byte big-endian length N (1 <= N <= maxFrame) and N bytes of UTF-8 JSON;
// text frames are one JSON object per line (LF or CRLF). The first byte of a stream picks the mode.
import { readFastPublish, type FastPublish } from './fast-publish.js'

export type FrameMode = 'binary' | 'text'

/** The hard ceiling for max-frame: every legal binary frame then starts with a 0x00 byte. */
export const MAX_FRAME_CEILING = 16 * 1024 * 1024 - 1

export type DecodeEvent =
  | { kind: 'frame'; text: string }
  /** A binary frame of the common publish shape, read without JSON.parse (see fast-publish.ts). */
  | { kind: 'publish'; publish: FastPublish }
  | { kind: 'empty' }
  /** `maxFrame` is the cap the frame was held to: the one in force when its bytes came in. */
  | { kind: 'too_large'; size: number; maxFrame: number }

/**
 * Where FrameDecoder.each hands frames as they complete. `publish` gets the decoder's own
 * object, filled anew for the next publish: whoever keeps it past the call keeps a copy.
 */
export interface FrameSink {
  frame(text: string): void
  publish(publish: FastPublish): void
  empty(): void
  /** `maxFrame` is the cap in force for this frame (it may differ from a cap set since). */
  tooLarge(size: number, maxFrame: number): void
}

const LF = 0x0a
const CR = 0x0d

/** The mode a stream's first bytes choose: binary frames start with a 0x00 length byte. */
export function modeOf(chunk: Buffer): FrameMode {
  return chunk[0] === 0 ? 'binary' : 'text'
}

/** A sink that collects what it is handed as events (push). */
class Collector implements FrameSink {
  readonly events: DecodeEvent[] = []
  frame(text: string): void {
    this.events.push({ kind: 'frame', text })
  }

  publish(publish: FastPublish): void {
    this.events.push({ kind: 'publish', publish: { ...publish } })
  }

  empty(): void {
    this.events.push({ kind: 'empty' })
  }

  tooLarge(size: number, maxFrame: number): void {
    this.events.push({ kind: 'too_large', size, maxFrame })
  }
}

/**
 * Incremental decoder. `push` returns the frames completed by the chunk. After a `too_large`
 * event the stream cannot be trusted any further, and the decoder returns nothing more.
 */
export class FrameDecoder {
  mode: FrameMode | undefined
  /** Binary frames of the common publish shape come out as `publish` events (the broker sets it). */
  recognisePublish = false
  // Bytes of an unfinished frame, kept as the chunks they came in: they are joined once, when
  // the frame can complete, so a frame trickling in byte by byte costs linear work, not a copy
  // of everything held so far per byte.
  private pending: Buffer[] = []
  private pendingLength = 0
  /** Binary mode: the bytes the held frame needs before it can be decoded (header, or all). */
  private needed = 0
  private failed = false
  /** The cap for the chunk being read: a change made by a frame's handler counts from the next chunk. */
  private chunkMaxFrame = 0
  private readonly publishRead: FastPublish = { id: undefined, queue: '', bodyJson: '' }

  constructor(private maxFrame: number) {
    this.setMaxFrame(maxFrame)
  }

  /** Changes the cap for frames not yet started (a broker with auth lifts it after `hello`). */
  setMaxFrame(maxFrame: number): void {
    if (!Number.isInteger(maxFrame) || maxFrame < 1 || maxFrame > MAX_FRAME_CEILING) {
      throw new RangeError(`maxFrame must be an integer between 1 and ${MAX_FRAME_CEILING}`)
    }
    this.maxFrame = maxFrame
  }

  push(chunk: Buffer): DecodeEvent[] {
    const collector = new Collector()
    this.each(chunk, collector)
    return collector.events
  }

  /**
   * Hands the frames completed by the chunk to `sink` as each is read, without a list of events
   * or an object per frame (the broker reads every request this way).
   */
  each(chunk: Buffer, sink: FrameSink): void {
    if (this.failed || chunk.length === 0) return
    if (this.mode === undefined) this.mode = modeOf(chunk)
    this.chunkMaxFrame = this.maxFrame
    let buf = chunk
    if (this.pendingLength > 0) {
      const total = this.pendingLength + chunk.length
      if (this.mode === 'binary' ? total < this.needed : chunk.indexOf(LF) === -1) {
        if (this.mode === 'text') {
          const held = total - (chunk[chunk.length - 1] === CR ? 1 : 0)
          if (held > this.chunkMaxFrame) {
            this.fail(sink, held)
            return
          }
        }
        this.pending.push(chunk)
        this.pendingLength = total
        return
      }
      this.pending.push(chunk)
      buf = Buffer.concat(this.pending, total)
      this.pending = []
      this.pendingLength = 0
    }
    const rest = this.mode === 'binary' ? this.binary(buf, sink) : this.text(buf, sink)
    if (!this.failed && rest < buf.length) {
      this.pending = [buf.subarray(rest)]
      this.pendingLength = buf.length - rest
    }
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLength
  }

  private binary(buf: Buffer, sink: FrameSink): number {
    let off = 0
    while (buf.length - off >= 4) {
      // The declared length is checked before anything is allocated or waited for.
      const size = buf.readUInt32BE(off)
      if (size === 0) {
        off += 4
        sink.empty()
        continue
      }
      if (size > this.chunkMaxFrame) return this.fail(sink, size)
      if (buf.length - off - 4 < size) {
        this.needed = 4 + size
        return off
      }
      const start = off + 4
      off = start + size
      if (this.recognisePublish && readFastPublish(buf, start, off, this.publishRead)) sink.publish(this.publishRead)
      else sink.frame(buf.toString('utf8', start, off))
    }
    this.needed = 4
    return off
  }

  private text(buf: Buffer, sink: FrameSink): number {
    let off = 0
    for (;;) {
      const nl = buf.indexOf(LF, off)
      if (nl === -1) {
        // A trailing CR may be the first half of a CRLF: it does not count towards the line yet.
        const held = buf.length - off - (buf[buf.length - 1] === CR ? 1 : 0)
        if (held > this.chunkMaxFrame) return this.fail(sink, held)
        return off
      }
      let end = nl
      if (end > off && buf[end - 1] === CR) end--
      if (end - off > this.chunkMaxFrame) return this.fail(sink, end - off)
      const start = off
      off = nl + 1
      if (!isBlank(buf, start, end)) sink.frame(buf.toString('utf8', start, end))
    }
  }

  private fail(sink: FrameSink, size: number): number {
    this.failed = true
    this.pending = []
    this.pendingLength = 0
    sink.tooLarge(size, this.chunkMaxFrame)
    return Number.MAX_SAFE_INTEGER
  }
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false
  }
  return true
}

/** One frame for the given mode; `json` is already-serialised JSON text. */
export function encodeFrame(mode: FrameMode, json: string): Buffer {
  return encodeFrames(mode, [json])
}

type Utf8Buffer = Buffer & { utf8Write(text: string, offset: number): number }

/** Encoded turns up to this size go through the shared scratch buffer; bigger ones get their own. */
const SCRATCH_MAX = 1024 * 1024
let scratch = Buffer.allocUnsafe(64 * 1024) as Utf8Buffer

/**
 * Several frames in one buffer: the replies and deliveries of one event-loop turn go out in a
 * single socket write instead of one small buffer (and one writev entry) each.
 *
 * Each string is encoded once, into a buffer sized by the UTF-8 upper bound (3 bytes per UTF-16
 * unit), and its byte count comes from the write itself: measuring first and writing after
 * would walk every string twice. The bytes are then copied out at their exact size, since the
 * socket may hold on to what it is given.
 */
export function encodeFrames(mode: FrameMode, jsons: string[]): Buffer {
  let bound = 0
  for (let i = 0; i < jsons.length; i++) bound += 4 + 3 * (jsons[i] as string).length
  // A big turn is measured first instead: its buffer goes to the socket as is, at its exact size.
  const buf = bound <= SCRATCH_MAX ? scratchOf(bound) : (Buffer.allocUnsafe(exactSize(mode, jsons)) as Utf8Buffer)
  const end = mode === 'binary' ? writeBinary(buf, jsons) : writeText(buf, jsons)
  if (buf !== scratch) return buf
  const out = Buffer.allocUnsafe(end)
  buf.copy(out, 0, 0, end)
  return out
}

function scratchOf(size: number): Utf8Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(size, 2 * scratch.length))) as Utf8Buffer
  return scratch
}

/** The encoded size: each frame's bytes plus its 4-byte length (binary) or its line end (text). */
function exactSize(mode: FrameMode, jsons: string[]): number {
  const extra = mode === 'binary' ? 4 : 1
  let size = 0
  for (let i = 0; i < jsons.length; i++) size += extra + Buffer.byteLength(jsons[i] as string, 'utf8')
  return size
}

function writeBinary(buf: Utf8Buffer, jsons: string[]): number {
  let off = 0
  for (let i = 0; i < jsons.length; i++) {
    const size = buf.utf8Write(jsons[i] as string, off + 4)
    buf[off] = size >>> 24
    buf[off + 1] = (size >>> 16) & 0xff
    buf[off + 2] = (size >>> 8) & 0xff
    buf[off + 3] = size & 0xff
    off += 4 + size
  }
  return off
}

function writeText(buf: Utf8Buffer, jsons: string[]): number {
  let off = 0
  for (let i = 0; i < jsons.length; i++) {
    off += buf.utf8Write(jsons[i] as string, off)
    buf[off++] = LF
  }
  return off
}
