// The most common request, recognised from its bytes: a single publish of a plain string body,
//
//   {"op":"publish","queue":"NAME","body":"TEXT"}   or   {"id":N,"op":"publish","queue":"NAME","body":"TEXT"}
//
// with NAME a valid queue name, N a non-negative integer of at most 15 digits, and TEXT printable
// ASCII without a quote or a backslash. Such a frame means exactly what JSON.parse would make of
// it, and the body's JSON text is its bytes from quote to quote, so the broker needs neither
// JSON.parse nor JSON.stringify for it. Any other frame (another key order, whitespace, escapes,
// non-ASCII, attrs, delay...) is `undefined` here and takes the general path.

export interface FastPublish {
  id: number | undefined
  queue: string
  /** The body as JSON text, quotes included: what JSON.stringify(body) gives. */
  bodyJson: string
}

const ID_HEAD = bytes('{"id":')
const OP_HEAD = bytes('"op":"publish","queue":"')
const BODY_HEAD = bytes('","body":"')
const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN = 0x7b
const CLOSE = 0x7d
const COMMA = 0x2c

/** Whether byte `c` may appear in a queue name (letters, digits, '-', '_', '.'; NAME_PATTERN). */
const NAME_BYTE = new Uint8Array(256)
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c)
  NAME_BYTE[c] = /[A-Za-z0-9_.-]/.test(ch) ? 1 : 0
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string }

/** The publish in `buf[start, end)`, or undefined when the frame is not of the common shape. */
export function fastPublish(buf: Buffer, start: number, end: number): FastPublish | undefined {
  if (end - start < 38 || buf[start] !== OPEN || buf[end - 1] !== CLOSE || buf[end - 2] !== QUOTE) return undefined
  let at = start + 1
  let id: number | undefined
  if (buf[at] === QUOTE && buf[at + 1] === 0x69) {
    // {"id":N,
    if (!matches(buf, start, ID_HEAD)) return undefined
    at = start + ID_HEAD.length
    const digits = at
    while (at < end && (buf[at] as number) >= 0x30 && (buf[at] as number) <= 0x39) at++
    const count = at - digits
    // JSON has no leading zeros ("01" is not a number), and 15 digits stay exact in a double.
    if (count === 0 || count > 15 || (count > 1 && buf[digits] === 0x30) || buf[at] !== COMMA) return undefined
    id = Number((buf as Latin1Buffer).latin1Slice(digits, at))
    at++
  }
  if (!matches(buf, at, OP_HEAD)) return undefined
  at += OP_HEAD.length
  const nameStart = at
  while (at < end && NAME_BYTE[buf[at] as number] === 1) at++
  const nameLength = at - nameStart
  if (nameLength === 0 || nameLength > 80 || !matches(buf, at, BODY_HEAD)) return undefined
  const nameEnd = at
  at += BODY_HEAD.length
  const bodyStart = at - 1
  // The body's closing quote is the frame's second-last byte; everything before it must be
  // printable ASCII that JSON leaves as it is (no quote, no backslash, no control character).
  const bodyEnd = end - 2
  for (; at < bodyEnd; at++) {
    const c = buf[at] as number
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return undefined
  }
  if (at !== bodyEnd) return undefined
  const latin1 = buf as Latin1Buffer
  return { id, queue: latin1.latin1Slice(nameStart, nameEnd), bodyJson: latin1.latin1Slice(bodyStart, bodyEnd + 1) }
}

function matches(buf: Buffer, at: number, expected: Uint8Array): boolean {
  if (at + expected.length > buf.length) return false
  for (let i = 0; i < expected.length; i++) if (buf[at + i] !== expected[i]) return false
  return true
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'))
}
