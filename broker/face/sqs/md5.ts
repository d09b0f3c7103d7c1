// The checksums SQS answers with and SDKs verify (PROTOCOL.md §12 "Checksums"): MD5OfMessageBody
// over the body's UTF-8 bytes; MD5OfMessageAttributes over AWS's encoding of the attributes, sorted
// by name: for each, length-prefixed name, length-prefixed data type, one transport byte (1 for
// String and Number, 2 for Binary), length-prefixed value bytes; lengths are 4-byte big-endian.
import { createHash } from 'node:crypto'

export interface AttributeValue {
  DataType: string
  StringValue?: string
  /** Base64, as both protocols carry it. */
  BinaryValue?: string
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex')
}

export function md5OfAttributes(attributes: Record<string, AttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort(byCodeUnit)
  if (names.length === 0) return undefined
  const hash = createHash('md5')
  const lengthPrefixed = (bytes: Buffer): void => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    hash.update(length)
    hash.update(bytes)
  }
  for (const name of names) {
    const value = attributes[name] as AttributeValue
    lengthPrefixed(Buffer.from(name, 'utf8'))
    lengthPrefixed(Buffer.from(value.DataType, 'utf8'))
    if (value.DataType.startsWith('Binary')) {
      hash.update(Buffer.from([2]))
      lengthPrefixed(Buffer.from(value.BinaryValue ?? '', 'base64'))
    } else {
      hash.update(Buffer.from([1]))
      lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8'))
    }
  }
  return hash.digest('hex')
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
