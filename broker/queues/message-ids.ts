// Message ids: UUIDv7 strings (RFC 9562), time-ordered, made without random bytes per id; and
// receipts, which are random.
// The 48-bit millisecond timestamp leads; the 74 bits after it are a per-process random value
// (26 bits) and a 48-bit counter started at a random point (RFC 9562 §6.2 method 1, a
// monotonic counter). Within one process ids are unique and ascending; across processes and
// restarts the random parts keep them apart. The time part is formatted once per millisecond.
import { randomBytes, randomFillSync } from 'node:crypto'

const seed = randomBytes(10)
/** 12 random bits after the version nibble. */
const randA = (seed.readUInt16BE(0) & 0x0fff).toString(16).padStart(3, '0')
/** The variant (binary 10) and 14 random bits. */
const variantAndRand = ((seed.readUInt16BE(2) & 0x3fff) | 0x8000).toString(16)
/** Below 2^47, so 2^47 ids fit before the counter could reach 2^48. */
let counter = seed.readUIntBE(4, 6) % 2 ** 47
let lastMs = -1
/**
 * The id is written into this buffer and read out as one flat string: `prefix + suffix` would
 * make a V8 cons string (a 32-byte node pointing at both halves, plus the suffix's own string),
 * which a queued message would hold for its whole life.
 */
const scratch = Buffer.alloc(36) as Buffer & { latin1Slice(start: number, end: number): string }
const HEX = Buffer.from('0123456789abcdef', 'latin1')

export function nextMessageId(now: number = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now
    const hex = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12)
    scratch.write(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${randA}-${variantAndRand}-`, 0, 24, 'latin1')
  }
  counter++
  // The counter's 12 hex digits, written in place (it stays below 2^48: exact in a double).
  let rest = counter
  for (let i = 35; i >= 24; i--) {
    scratch[i] = HEX[rest % 16] as number
    rest = Math.floor(rest / 16)
  }
  // latin1Slice is what toString('latin1') ends in, without its argument checks.
  return scratch.latin1Slice(0, 36)
}

/** Bytes of CSPRNG output per receipt: 128 bits, 22 base64url characters. */
const RECEIPT_BYTES = 16
/** Random bytes for 512 receipts, refilled in one call when spent. */
const receiptPool = Buffer.allocUnsafe(RECEIPT_BYTES * 512) as Buffer & { base64urlSlice(start: number, end: number): string }
let receiptAt = receiptPool.length

/**
 * A receipt names one delivery and is its holder's proof of it (PROTOCOL.md §6.2, §7.3): 128 bits
 * from the CSPRNG, so nobody can work one out from another (a counter could be counted down to
 * the receipts of other tokens' deliveries). Drawn from a pool: one randomFillSync per 512
 * receipts instead of a call, and a buffer, per delivery.
 */
export function nextReceipt(): string {
  if (receiptAt === receiptPool.length) {
    randomFillSync(receiptPool)
    receiptAt = 0
  }
  const start = receiptAt
  receiptAt += RECEIPT_BYTES
  // Flat string, as with the ids above; base64urlSlice is toString('base64url') without its checks.
  return receiptPool.base64urlSlice(start, receiptAt)
}
