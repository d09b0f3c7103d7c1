// The body and attribute mapping between SQS messages and hubq messages (PROTOCOL.md §12
// "Bodies and attributes").
//
// Bodies: an SQS MessageBody (a string) is stored as that JSON string, so a hubq consumer sees
// `"body":"text"`. A hubq body that is a JSON string reaches SQS readers as the string itself;
// any other JSON value (object, array, number, true, false, null) as its JSON text.
//
// Attributes: hubq attrs are strings. A String attribute is stored as its value, a Number
// attribute as its decimal text, a Binary one as base64; the data types other than plain
// `String` are kept in one more attr, `AWS.DataTypes` (a JSON object name → DataType; SQS
// forbids attribute names starting `AWS.`, so it cannot clash). hubq attrs without that entry
// read as String attributes.
import type { Attrs, Delivery } from '../../../shared/protocol/types.js'
import { invalidMessageContents, invalidParameterValue } from '../errors.js'
import { objectOf } from '../params.js'
import type { AttributeValue } from './md5.js'

export const TYPES_ATTR = 'AWS.DataTypes'
const NAME = /^[A-Za-z0-9_.-]{1,256}$/
const DATA_TYPE = /^(String|Number|Binary)(\.[^\s]{1,250})?$/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
// What SQS accepts in a body and a string value: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

export function checkContents(text: string, what: string): void {
  if (INVALID_CHAR.test(text)) throw invalidMessageContents(`Invalid characters found in ${what}. Characters outside #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF are not allowed.`)
}

/** SQS MessageAttributes (validated) → their JSON shapes, the bytes they count for, and hubq attrs. */
export function readAttributes(raw: unknown): { attributes: Record<string, AttributeValue>; size: number; attrs?: Attrs } {
  const attributes: Record<string, AttributeValue> = Object.create(null) as Record<string, AttributeValue>
  if (raw === undefined || raw === null) return { attributes, size: 0 }
  const map = objectOf(raw, 'MessageAttributes')
  const names = Object.keys(map)
  if (names.length > 10) throw invalidParameterValue(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`)
  if (names.length === 0) return { attributes, size: 0 }
  const attrs: Attrs = Object.create(null) as Attrs
  const types: Record<string, string> = {}
  let size = 0
  for (const name of names) {
    if (!NAME.test(name) || /^(aws\.|amazon\.)/i.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid: names are 1 to 256 characters of A-Z a-z 0-9 _ - ., must not start with AWS. or Amazon., start or end with a period, or hold two periods in a row.`)
    }
    const value = objectOf(map[name], `MessageAttribute ${name}`)
    const dataType = value.DataType
    if (typeof dataType !== 'string' || dataType === '') throw invalidParameterValue(`The message attribute '${name}' must contain a non-empty message attribute type.`)
    if (!DATA_TYPE.test(dataType) || dataType.length > 256) throw invalidParameterValue(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`)
    if (value.StringListValues !== undefined || value.BinaryListValues !== undefined) {
      const lists = (Array.isArray(value.StringListValues) && value.StringListValues.length > 0) || (Array.isArray(value.BinaryListValues) && value.BinaryListValues.length > 0)
      if (lists) throw invalidParameterValue(`Message attribute '${name}': StringListValues and BinaryListValues are not implemented (as on SQS).`)
    }
    let stored: string
    if (dataType.startsWith('Binary')) {
      const binary = value.BinaryValue
      if (typeof binary !== 'string' || binary === '') throw invalidParameterValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`)
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(binary)) throw invalidParameterValue(`The message attribute '${name}' has a BinaryValue that is not base64.`)
      stored = binary
      attributes[name] = { DataType: dataType, BinaryValue: binary }
      size += Buffer.from(binary, 'base64').length
    } else {
      const text = value.StringValue
      if (typeof text !== 'string' || text === '') throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType.split('.')[0]}'.`)
      if (dataType.startsWith('Number') && !NUMBER.test(text)) throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`)
      checkContents(text, `the value of message attribute '${name}'`)
      stored = text
      attributes[name] = { DataType: dataType, StringValue: text }
      size += Buffer.byteLength(text)
    }
    size += Buffer.byteLength(name) + Buffer.byteLength(dataType)
    attrs[name] = stored
    if (dataType !== 'String') types[name] = dataType
  }
  if (Object.keys(types).length > 0) attrs[TYPES_ATTR] = JSON.stringify(types)
  return { attributes, size, attrs }
}

/** A delivery's hubq attrs as SQS message attributes. */
export function attributesOf(attrs: Attrs | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = Object.create(null) as Record<string, AttributeValue>
  if (!attrs) return out
  let types: Record<string, unknown> = {}
  const typesText = attrs[TYPES_ATTR]
  if (typesText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(typesText)
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) types = parsed as Record<string, unknown>
    } catch {
      // A hubq client wrote something else under that name: every attr reads as a String.
    }
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (name === TYPES_ATTR) continue
    const declared = Object.hasOwn(types, name) ? types[name] : undefined
    const dataType = typeof declared === 'string' && DATA_TYPE.test(declared) ? declared : 'String'
    out[name] = dataType.startsWith('Binary') ? { DataType: dataType, BinaryValue: value } : { DataType: dataType, StringValue: value }
  }
  return out
}

export function bodyJsonOf(body: string): string {
  return JSON.stringify(body)
}

/** What an SQS reader gets for a hubq body: the string of a JSON string, else the JSON text. */
export function sqsBodyOf(d: Pick<Delivery, 'bodyJson'>): string {
  const json = d.bodyJson
  if (json.charCodeAt(0) === 34 /* " */) {
    const value: unknown = JSON.parse(json)
    if (typeof value === 'string') return value
  }
  return json
}
