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
  const table = crc32Table()
  let crc = (initial ^ 0xffffffff) >>> 0
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

export const crc32: Crc32 = native ?? tableCrc32
export { tableCrc32 }
