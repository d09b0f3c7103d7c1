// Message ids: UUIDv7 strings (RFC 9562), time-ordered, made without random bytes per id; and receipts.
// The 48-bit millisecond timestamp leads; the 74 bits after it are a per-process random value
// (26 bits) and a 48-bit counter started at a random point (RFC 9562 §6.2 method 1, a
// monotonic counter). Within one process ids are unique and ascending; across processes and
// restarts the random parts keep them apart. The time part is formatted once per millisecond.
import { randomBytes } from 'node:crypto'

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

/** Receipts name one delivery: unique for this process's life, never reused after a restart. */
const receiptPrefix = randomBytes(6).toString('base64url') + '.'
let receiptSeq = 0

/**
 * A counter is enough here: a receipt only has to tell deliveries apart (an old receipt after a
 * redelivery or a restart must not match), and the random prefix keeps processes apart.
 */
export function nextReceipt(): string {
  return receiptPrefix + (++receiptSeq).toString(36)
}
