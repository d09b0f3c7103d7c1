// The most common request, recognised from its bytes: a single publish of a plain string body,
//
//   {"op":"publish","queue":"NAME","body":"TEXT"}
//
// with an optional "id":N first or last (`{"id":N,"op":...` or `..."body":"TEXT","id":N}`),
// NAME a valid queue name, N a non-negative integer of at most 15 digits, and TEXT printable
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
const ID_TAIL = bytes(',"id":')
const OP_HEAD = bytes('"op":"publish","queue":"')
const BODY_HEAD = bytes('","body":"')
const QUOTE = 0x22
/**
 * A JSON string that JSON.stringify writes back unchanged: quotes around printable ASCII with no
 * quote and no backslash inside (read as latin1, so any byte above 0x7e fails it too).
 */
const PLAIN_STRING = /^"[\x20\x21\x23-\x5b\x5d-\x7e]*"$/
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
  const out: FastPublish = { id: undefined, queue: '', bodyJson: '' }
  return readFastPublish(buf, start, end, out) ? out : undefined
}

/**
 * fastPublish into an object the caller keeps for the next frame (the decoder's, for every
 * publish it reads): false, and `out` left in any state, when the frame is not of the shape.
 */
export function readFastPublish(buf: Buffer, start: number, end: number, out: FastPublish): boolean {
  if (end - start < 38 || buf[start] !== OPEN || buf[end - 1] !== CLOSE) return false
  let at = start + 1
  let id: number | undefined
  // The body's closing quote: just before the final brace, or before a trailing ,"id":N.
  let bodyEnd = end - 2
  if (isDigit(buf[bodyEnd])) {
    let digits = bodyEnd
    while (digits > start && isDigit(buf[digits - 1])) digits--
    id = readId(buf, digits, end - 1)
    bodyEnd = digits - ID_TAIL.length - 1
    if (id === undefined || !matches(buf, bodyEnd + 1, ID_TAIL)) return false
  }
  if (buf[bodyEnd] !== QUOTE) return false
  if (buf[at] === QUOTE && buf[at + 1] === 0x69) {
    // {"id":N, (and not a second id at the end)
    if (id !== undefined || !matches(buf, start, ID_HEAD)) return false
    const digits = start + ID_HEAD.length
    at = digits
    while (at < end && isDigit(buf[at])) at++
    id = readId(buf, digits, at)
    if (id === undefined || buf[at] !== COMMA) return false
    at++
  }
  if (!matches(buf, at, OP_HEAD)) return false
  at += OP_HEAD.length
  const nameStart = at
  while (at < end && NAME_BYTE[buf[at] as number] === 1) at++
  const nameLength = at - nameStart
  if (nameLength === 0 || nameLength > 80 || !matches(buf, at, BODY_HEAD)) return false
  const nameEnd = at
  at += BODY_HEAD.length
  const bodyStart = at - 1
  if (bodyEnd < at) return false
  const latin1 = buf as Latin1Buffer
  const bodyJson = latin1.latin1Slice(bodyStart, bodyEnd + 1)
  // A regular expression checks the characters faster than a loop over the bytes here.
  if (!PLAIN_STRING.test(bodyJson)) return false
  out.id = id
  out.queue = queueName(buf, nameStart, nameEnd)
  out.bodyJson = bodyJson
  return true
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39
}

/** The id in digits [from, to): JSON has no leading zeros, and 15 digits stay exact in a double. */
function readId(buf: Buffer, from: number, to: number): number | undefined {
  const count = to - from
  if (count === 0 || count > 15 || (count > 1 && buf[from] === 0x30)) return undefined
  let id = 0
  for (let i = from; i < to; i++) id = id * 10 + ((buf[i] as number) - 0x30)
  return id
}

/** The last queue name read, as bytes and as the string handed out: a publisher sends runs of one queue. */
const lastName = new Uint8Array(80)
let lastNameLength = 0
let lastNameText = ''

/** The queue name in `buf[from, to)` (at most 80 bytes): the last one's string again when the bytes match. */
function queueName(buf: Buffer, from: number, to: number): string {
  const length = to - from
  if (length === lastNameLength) {
    let i = 0
    while (i < length && buf[from + i] === lastName[i]) i++
    if (i === length) return lastNameText
  }
  lastName.set(buf.subarray(from, to))
  lastNameLength = length
  lastNameText = (buf as Latin1Buffer).latin1Slice(from, to)
  return lastNameText
}

function matches(buf: Buffer, at: number, expected: Uint8Array): boolean {
  if (at < 0 || at + expected.length > buf.length) return false
  for (let i = 0; i < expected.length; i++) if (buf[at + i] !== expected[i]) return false
  return true
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'))
}
