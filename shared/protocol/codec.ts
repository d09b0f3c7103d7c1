// Frame codec (PROTOCOL.md §1 "Framing"). Pure: chunks in, frames out, no sockets.
// Binary frames are a 4-byte big-endian length N (1 <= N <= maxFrame) and N bytes of UTF-8 JSON;
// text frames are one JSON object per line (LF or CRLF). The first byte of a stream picks the mode.

export type FrameMode = 'binary' | 'text'

/** The hard ceiling for max-frame: every legal binary frame then starts with a 0x00 byte. */
export const MAX_FRAME_CEILING = 16 * 1024 * 1024 - 1

export type DecodeEvent =
  | { kind: 'frame'; text: string }
  | { kind: 'empty' }
  | { kind: 'too_large'; size: number }

const LF = 0x0a
const CR = 0x0d

/**
 * Incremental decoder. `push` returns the frames completed by the chunk. After a `too_large`
 * event the stream cannot be trusted any further, and the decoder returns nothing more.
 */
export class FrameDecoder {
  mode: FrameMode | undefined
  // Bytes of an unfinished frame, kept as the chunks they came in: they are joined once, when
  // the frame can complete, so a frame trickling in byte by byte costs linear work, not a copy
  // of everything held so far per byte.
  private pending: Buffer[] = []
  private pendingLength = 0
  /** Binary mode: the bytes the held frame needs before it can be decoded (header, or all). */
  private needed = 0
  private failed = false

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
    const events: DecodeEvent[] = []
    if (this.failed || chunk.length === 0) return events
    if (this.mode === undefined) this.mode = chunk[0] === 0 ? 'binary' : 'text'
    let buf = chunk
    if (this.pendingLength > 0) {
      const total = this.pendingLength + chunk.length
      if (this.mode === 'binary' ? total < this.needed : chunk.indexOf(LF) === -1) {
        if (this.mode === 'text') {
          const held = total - (chunk[chunk.length - 1] === CR ? 1 : 0)
          if (held > this.maxFrame) {
            this.fail(events, held)
            return events
          }
        }
        this.pending.push(chunk)
        this.pendingLength = total
        return events
      }
      this.pending.push(chunk)
      buf = Buffer.concat(this.pending, total)
      this.pending = []
      this.pendingLength = 0
    }
    const rest = this.mode === 'binary' ? this.binary(buf, events) : this.text(buf, events)
    if (!this.failed && rest < buf.length) {
      this.pending = [buf.subarray(rest)]
      this.pendingLength = buf.length - rest
    }
    return events
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLength
  }

  private binary(buf: Buffer, events: DecodeEvent[]): number {
    let off = 0
    while (buf.length - off >= 4) {
      // The declared length is checked before anything is allocated or waited for.
      const size = buf.readUInt32BE(off)
      if (size === 0) {
        events.push({ kind: 'empty' })
        off += 4
        continue
      }
      if (size > this.maxFrame) return this.fail(events, size)
      if (buf.length - off - 4 < size) {
        this.needed = 4 + size
        return off
      }
      events.push({ kind: 'frame', text: buf.toString('utf8', off + 4, off + 4 + size) })
      off += 4 + size
    }
    this.needed = 4
    return off
  }

  private text(buf: Buffer, events: DecodeEvent[]): number {
    let off = 0
    for (;;) {
      const nl = buf.indexOf(LF, off)
      if (nl === -1) {
        // A trailing CR may be the first half of a CRLF: it does not count towards the line yet.
        const held = buf.length - off - (buf[buf.length - 1] === CR ? 1 : 0)
        if (held > this.maxFrame) return this.fail(events, held)
        return off
      }
      let end = nl
      if (end > off && buf[end - 1] === CR) end--
      if (end - off > this.maxFrame) return this.fail(events, end - off)
      if (!isBlank(buf, off, end)) events.push({ kind: 'frame', text: buf.toString('utf8', off, end) })
      off = nl + 1
    }
  }

  private fail(events: DecodeEvent[], size: number): number {
    this.failed = true
    this.pending = []
    this.pendingLength = 0
    events.push({ kind: 'too_large', size })
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
  if (mode === 'text') return Buffer.from(json + '\n', 'utf8')
  const size = Buffer.byteLength(json, 'utf8')
  const out = Buffer.allocUnsafe(4 + size)
  out.writeUInt32BE(size, 0)
  out.write(json, 4, 'utf8')
  return out
}

/**
 * Several frames in one buffer: the replies and deliveries of one event-loop turn go out in a
 * single socket write instead of one small buffer (and one writev entry) each.
 */
export function encodeFrames(mode: FrameMode, jsons: string[]): Buffer {
  if (jsons.length === 1) return encodeFrame(mode, jsons[0] as string)
  if (mode === 'text') return Buffer.from(jsons.join('\n') + '\n', 'utf8')
  const sizes = new Array<number>(jsons.length)
  let total = 0
  for (let i = 0; i < jsons.length; i++) {
    const size = Buffer.byteLength(jsons[i] as string, 'utf8')
    sizes[i] = size
    total += 4 + size
  }
  const out = Buffer.allocUnsafe(total)
  let off = 0
  for (let i = 0; i < jsons.length; i++) {
    const size = sizes[i] as number
    out.writeUInt32BE(size, off)
    out.write(jsons[i] as string, off + 4, size, 'utf8')
    off += 4 + size
  }
  return out
}
