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
  private pending: Buffer | undefined
  private failed = false

  constructor(private readonly maxFrame: number) {
    if (!Number.isInteger(maxFrame) || maxFrame < 1 || maxFrame > MAX_FRAME_CEILING) {
      throw new RangeError(`maxFrame must be an integer between 1 and ${MAX_FRAME_CEILING}`)
    }
  }

  push(chunk: Buffer): DecodeEvent[] {
    const events: DecodeEvent[] = []
    if (this.failed || chunk.length === 0) return events
    if (this.mode === undefined) this.mode = chunk[0] === 0 ? 'binary' : 'text'
    let buf = chunk
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk])
      this.pending = undefined
    }
    const rest = this.mode === 'binary' ? this.binary(buf, events) : this.text(buf, events)
    if (!this.failed && rest < buf.length) this.pending = buf.subarray(rest)
    return events
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending?.length ?? 0
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
      if (buf.length - off - 4 < size) break
      events.push({ kind: 'frame', text: buf.toString('utf8', off + 4, off + 4 + size) })
      off += 4 + size
    }
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
    this.pending = undefined
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
