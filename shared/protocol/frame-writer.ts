// Outgoing frames encoded straight into bytes as they are made (PROTOCOL.md §1 "Framing").
//
// A reply or a delivery built as a string first costs the string, the pieces it was joined
// from, and a flat copy when it is finally encoded: about a kilobyte of young garbage per
// delivery, which the broker pays back in scavenge pauses. A FrameWriter takes the pieces
// (strings already held elsewhere, numbers written digit by digit) and writes their UTF-8
// bytes into one buffer, framed for the connection's mode; take() hands them out as one Buffer.
import type { FrameMode } from './codec.js'

type Utf8Buffer = Buffer & { utf8Write(text: string, offset: number, length?: number): number }

/** A writer's first buffer; it doubles when a turn's frames outgrow it. */
const FIRST_BYTES = 16 * 1024
/**
 * From this many bytes on, the writer counts as full (see `full`): the next frame of a usual
 * size would make the first buffer grow, and each growth is a fresh buffer and a copy.
 */
const FULL_BYTES = 12 * 1024
/** Up to this many bytes, take() copies in JS. */
const COPY_IN_JS = 1024
/** Past this many bytes, take() hands the buffer itself out instead of a copy of its bytes. */
const HAND_OVER_BYTES = 64 * 1024
/**
 * Buffers of writers that have handed their bytes out. A writer holds one only while it has
 * frames due, so connections that are quiet this turn cost no buffer; the list is capped, so a
 * turn in which thousands of connections wrote does not keep thousands of buffers.
 */
const spares: Utf8Buffer[] = []
const MAX_SPARES = 64

const LF = 0x0a
/** Up to this length, a piece is copied in JS rather than by a native call. */
const SHORT = 40
/** number() writes integers from here up as two parts below it. */
const SPLIT = 1e9
const SPLIT_DIGITS = 9

/** Longer strings are measured: three bytes per code unit of a large body would be a large allocation. */
const ESTIMATE_UP_TO = 1024

/** A constant piece of JSON text, encoded once for FrameWriter.bytes. */
export function piece(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'))
}

export class FrameWriter {
  /** Bytes written so far (frames complete or under way). */
  length = 0
  private buf: Utf8Buffer | undefined
  private frameStart = 0

  constructor(public mode: FrameMode) {}

  /**
   * The frames so far nearly fill the first buffer: taken now, they go out in it while it is
   * still its first size. A turn that writes a window of deliveries otherwise doubles its way to
   * 128 KiB and more, through buffers the socket holds on to until they are sent.
   */
  get full(): boolean {
    return this.length >= FULL_BYTES
  }

  /** Starts a frame: binary frames get their 4-byte length once end() knows it. */
  begin(): void {
    this.frameStart = this.length
    if (this.mode === 'binary') this.room(4)
  }

  /** Appends a string's UTF-8 bytes (a piece of JSON text, as is). */
  text(piece: string): void {
    const n = piece.length
    const buf = this.reserve(n <= ESTIMATE_UP_TO ? 3 * n : Buffer.byteLength(piece, 'utf8'))
    const at = this.length
    if (n <= SHORT) {
      // Short ASCII (ids, receipts): copied here, cheaper than the native call.
      let i = 0
      for (; i < n; i++) {
        const c = piece.charCodeAt(i)
        if (c >= 0x80) break
        buf[at + i] = c
      }
      if (i === n) {
        this.length = at + n
        return
      }
    }
    this.length = at + buf.utf8Write(piece, at)
  }

  /** Appends bytes encoded beforehand (a constant piece): short ones are copied here, cheaper than a native call. */
  bytes(piece: Uint8Array): void {
    const n = piece.length
    const buf = this.reserve(n)
    const at = this.length
    if (n <= SHORT) for (let i = 0; i < n; i++) buf[at + i] = piece[i] as number
    else buf.set(piece, at)
    this.length = at + n
  }

  /** Appends a number as JSON writes it; non-negative safe integers digit by digit, without a string. */
  number(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) return this.text(String(value))
    if (value < SPLIT) return this.small(value, 0)
    // A larger one (a timestamp in ms) as two halves that small integer arithmetic can take.
    const high = Math.floor(value / SPLIT)
    this.small(high, 0)
    this.small(value - high * SPLIT, SPLIT_DIGITS)
  }

  /** Writes 0 <= value < 2^31 in decimal, padded with zeros to at least `width` digits. */
  private small(value: number, width: number): void {
    let digits = 1
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++
    if (digits < width) digits = width
    const buf = this.reserve(digits)
    let at = this.length + digits
    let rest = value
    for (let i = 0; i < digits; i++) {
      const next = (rest / 10) | 0
      buf[--at] = 0x30 + rest - 10 * next
      rest = next
    }
    this.length += digits
  }

  /** Ends the frame: its length goes in front (binary) or a line end after it (text). */
  end(): void {
    if (this.mode === 'binary') {
      const buf = this.buf as Utf8Buffer
      const at = this.frameStart
      const size = this.length - at - 4
      buf[at] = size >>> 24
      buf[at + 1] = (size >>> 16) & 0xff
      buf[at + 2] = (size >>> 8) & 0xff
      buf[at + 3] = size & 0xff
    } else {
      const buf = this.reserve(1)
      buf[this.length++] = LF
    }
  }

  /** One whole frame of JSON text. */
  frame(json: string): void {
    this.begin()
    this.text(json)
    this.end()
  }

  /**
   * The frames written so far, as one Buffer of their own (the socket may hold on to it); the
   * writer is empty after, and its buffer goes back to the spares unless it was handed out.
   */
  take(): Buffer {
    const buf = this.buf as Utf8Buffer
    const length = this.length
    this.buf = undefined
    this.length = 0
    if (length > HAND_OVER_BYTES) return buf.subarray(0, length)
    const out = Buffer.allocUnsafe(length)
    // Buffer#copy of part of a buffer makes a view object first: a small turn is copied here.
    if (length <= COPY_IN_JS) for (let i = 0; i < length; i++) out[i] = buf[i] as number
    else buf.copy(out, 0, 0, length)
    if (buf.length === FIRST_BYTES && spares.length < MAX_SPARES) spares.push(buf)
    return out
  }

  /** Drops what was written (the connection closed before it went out). */
  clear(): void {
    const buf = this.buf
    this.buf = undefined
    this.length = 0
    if (buf !== undefined && buf.length === FIRST_BYTES && spares.length < MAX_SPARES) spares.push(buf)
  }

  private room(bytes: number): void {
    this.reserve(bytes)
    this.length += bytes
  }

  /** Makes room for `bytes` more after `length`; returns the buffer to write into. */
  private reserve(bytes: number): Utf8Buffer {
    const buf = this.buf
    const needed = this.length + bytes
    if (buf !== undefined && needed <= buf.length) return buf
    let grown: Utf8Buffer
    if (buf === undefined && needed <= FIRST_BYTES) {
      grown = spares.pop() ?? (Buffer.allocUnsafeSlow(FIRST_BYTES) as Utf8Buffer)
    } else {
      grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * (buf?.length ?? FIRST_BYTES))) as Utf8Buffer
      if (buf !== undefined) {
        buf.copy(grown, 0, 0, this.length)
        if (buf.length === FIRST_BYTES && spares.length < MAX_SPARES) spares.push(buf)
      }
    }
    this.buf = grown
    return grown
  }
}
