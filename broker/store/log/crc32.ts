// CRC-32 (IEEE, the zlib/PNG polynomial) over a byte range. Node has zlib.crc32 since 20.15 and
// 22.2 (native, fast); the table version below keeps older Node 20 releases working, which the
// package's "engines" still admits. Both give the same values.
import zlib from 'node:zlib'

type Crc32 = (data: Uint8Array, initial?: number) => number

const native = (zlib as unknown as { crc32?: Crc32 }).crc32

let table: Uint32Array | undefined

/** The byte-at-a-time lookup table (built once), for callers that fold in a few bytes themselves. */
export function crc32Table(): Uint32Array {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  return table
}

function tableCrc32(data: Uint8Array, initial = 0): number {
  return (~crc32Fold(data, 0, data.length, ~initial)) >>> 0
}

export const crc32: Crc32 = native ?? tableCrc32
export { tableCrc32 }

/**
 * Eight tables for slicing-by-8: table k maps a byte to its CRC contribution k bytes further
 * on, so eight bytes cost eight lookups and one dependency step instead of eight steps.
 * Int32 entries keep the arithmetic in small integers.
 */
const SLICES = buildSlices()

function buildSlices(): Int32Array {
  const base = crc32Table()
  const slices = new Int32Array(8 * 256)
  for (let n = 0; n < 256; n++) slices[n] = base[n] as number
  for (let n = 0; n < 256; n++) {
    let c = slices[n] as number
    for (let k = 1; k < 8; k++) {
      c = (slices[c & 0xff] as number) ^ (c >>> 8)
      slices[k * 256 + n] = c
    }
  }
  return slices
}

/**
 * Folds bytes [start, end) into a running (pre-inverted) CRC state. Callers invert at the start
 * and the end, so a record's header bytes and its payload go through one state.
 */
export function crc32Fold(data: Uint8Array, start: number, end: number, state: number): number {
  const t = SLICES
  let c = state | 0
  let i = start
  for (; i + 8 <= end; i += 8) {
    const a = c ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24))
    c = (t[1792 + (a & 0xff)] as number) ^ (t[1536 + ((a >>> 8) & 0xff)] as number) ^
      (t[1280 + ((a >>> 16) & 0xff)] as number) ^ (t[1024 + (a >>> 24)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^ (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^ (t[data[i + 7] as number] as number)
  }
  for (; i < end; i++) c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8)
  return c
}

/**
 * Below this many payload bytes a record's CRC is computed here in JS: the native call and the
 * buffer view it needs cost more than the table lookups. Above it the native code is faster.
 */
const NATIVE_FROM = 384

/**
 * The CRC a record frame at `offset` carries: over its length and kind bytes (offset..offset+3
 * and offset+8), then its payload [offset+9, end).
 */
export function frameCrc(data: Uint8Array, offset: number, end: number): number {
  const t = SLICES
  let c = -1
  c = (t[(c ^ (data[offset] as number)) & 0xff] as number) ^ (c >>> 8)
  c = (t[(c ^ (data[offset + 1] as number)) & 0xff] as number) ^ (c >>> 8)
  c = (t[(c ^ (data[offset + 2] as number)) & 0xff] as number) ^ (c >>> 8)
  c = (t[(c ^ (data[offset + 3] as number)) & 0xff] as number) ^ (c >>> 8)
  c = (t[(c ^ (data[offset + 8] as number)) & 0xff] as number) ^ (c >>> 8)
  const start = offset + 9
  if (native !== undefined && end - start >= NATIVE_FROM) return native(data.subarray(start, end), (~c) >>> 0)
  return (~crc32Fold(data, start, end, c)) >>> 0
}
