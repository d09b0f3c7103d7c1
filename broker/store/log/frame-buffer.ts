// Records encoded back to back into one buffer that doubles when it runs out: a batch's bytes are
// ready for its single write without a Buffer per record or a concat. The encoders reserve an
// upper bound on a record's size first (a UTF-16 code unit is at most 3 UTF-8 bytes), write the
// fields, and fill in the lengths from what was written, so no short string is measured first.

/** The native UTF-8 write that Buffer.write ends in, without its argument checks. */
type Writable = Buffer & { utf8Write(text: string, offset: number, length?: number): number }

export class FrameBuffer {
  data: Writable
  /** Bytes in use: the encoded records end here. */
  length = 0

  constructor(capacity: number) {
    this.data = Buffer.allocUnsafe(capacity) as Writable
  }

  /** Makes room for `bytes` more after `length`; returns the (possibly new) buffer to write into. */
  reserve(bytes: number): Writable {
    const needed = this.length + bytes
    if (needed > this.data.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.data.length * 2)) as Writable
      this.data.copy(grown, 0, 0, this.length)
      this.data = grown
    }
    return this.data
  }

  /** The encoded bytes (a view: valid until the next reserve or reset). */
  bytes(): Buffer {
    return this.data.subarray(0, this.length)
  }

  /** Appends bytes encoded elsewhere (another batch's frame). */
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length).set(bytes, this.length)
    this.length += bytes.length
  }
}

/** Longer strings are measured: three bytes per code unit of a large body would be a large allocation. */
const ESTIMATE_UP_TO = 1024

/** Room a string may take in UTF-8: a bound for short ones (cheaper than measuring), exact for long ones. */
export function textRoom(text: string): number {
  return text.length <= ESTIMATE_UP_TO ? 3 * text.length : Buffer.byteLength(text, 'utf8')
}

/** Room a string may take in UTF-8 with its u32 length prefix. */
export function stringRoom(text: string): number {
  return 4 + textRoom(text)
}

/** Below this length a string is copied in JS when it is all ASCII: cheaper than the native call. */
const SHORT = 40

/** Writes a string as its UTF-8 byte length (u32 BE) then the bytes; returns where it ends. */
export function putString(frame: Writable, offset: number, text: string): number {
  const at = offset + 4
  let bytes = text.length <= SHORT ? putAscii(frame, at, text) : -1
  if (bytes < 0) bytes = frame.utf8Write(text, at)
  putU32(frame, offset, bytes)
  return at + bytes
}

/** Copies an all-ASCII string byte for byte; -1 (and nothing to rely on written) when it is not. */
function putAscii(frame: Buffer, offset: number, text: string): number {
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x80) return -1
    frame[offset + i] = c
  }
  return n
}

/** The rest of a payload (a body's JSON text): bytes as written, no length prefix. */
export function putText(frame: Writable, offset: number, text: string): number {
  return offset + frame.utf8Write(text, offset)
}

export function putU32(frame: Buffer, offset: number, value: number): number {
  frame[offset] = value >>> 24
  frame[offset + 1] = value >>> 16
  frame[offset + 2] = value >>> 8
  frame[offset + 3] = value
  return offset + 4
}

export type { Writable }
