// SQS over the query protocol (form-encoded requests, XML replies; older SDKs, boto3 before
// 1.31, Debian's awscli): its flattened names (`Attribute.1.Name`, `SendMessageBatchRequestEntry.1.Id`)
// read into the JSON protocol's shapes, and the outputs written back as SQS's XML.
import { pairsToMap } from '../query.js'
import type { Input, Output } from '../params.js'
import { el, text } from '../xml.js'

export const SQS_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/'

const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
}

/** The query parameters of `action` as the JSON protocol's input. */
export function sqsQueryInput(action: string, form: Input): Input {
  const out: Input = {}
  for (const [key, value] of Object.entries(form)) {
    if (key === 'Action' || key === 'Version') continue
    if (Object.hasOwn(LISTS, key)) out[LISTS[key] as string] = Array.isArray(value) ? value : [value]
    else if (key === 'Attribute' || key === 'Attributes') out.Attributes = pairsToMap(value, 'Name', 'Value')
    else if (key === 'MessageAttribute' || key === 'MessageAttributes') out.MessageAttributes = pairsToMap(value, 'Name', 'Value')
    else if (key === 'MessageSystemAttribute' || key === 'MessageSystemAttributes') out.MessageSystemAttributes = pairsToMap(value, 'Name', 'Value')
    else if (key === 'Tag' || key === 'Tags') out[action === 'CreateQueue' ? 'tags' : 'Tags'] = pairsToMap(value, 'Key', 'Value')
    else if (key.endsWith('BatchRequestEntry') || key === 'Entries') {
      out.Entries = (Array.isArray(value) ? value : [value]).map((e) => typeof e === 'object' && e !== null ? sqsQueryInput(action, e as Input) : e)
    } else out[key] = value
  }
  return out
}

const LIST_ITEMS: Record<string, string> = {
  QueueUrls: 'QueueUrl',
  queueUrls: 'QueueUrl',
  Messages: 'Message',
  Failed: 'BatchResultErrorEntry',
  Results: 'ListMessageMoveTasksResultEntry',
}

/** An action's output as the XML inside `<ActionResult>`. */
export function sqsXml(action: string, output: Output): string {
  let xml = ''
  for (const [key, value] of Object.entries(output)) xml += field(action, key, value)
  return xml
}

function field(action: string, key: string, value: unknown): string {
  if (value === undefined || value === null) return ''
  if (key === 'Attributes') return pairs(value, 'Attribute', 'Name', 'Value', (v) => escapeText(v))
  if (key === 'Tags') return pairs(value, 'Tag', 'Key', 'Value', (v) => escapeText(v))
  if (key === 'MessageAttributes') return pairs(value, 'MessageAttribute', 'Name', 'Value', (v) => struct(action, v))
  if (Array.isArray(value)) {
    const item = key === 'Successful' ? `${action}ResultEntry` : LIST_ITEMS[key] ?? key
    return value.map((v) => typeof v === 'object' && v !== null ? el(item, struct(action, v)) : text(item, v)).join('')
  }
  if (typeof value === 'object') return el(key, struct(action, value))
  return text(key, value)
}

function struct(action: string, value: unknown): string {
  let xml = ''
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) xml += field(action, k, v)
  return xml
}

function pairs(map: unknown, item: string, keyName: string, valueName: string, encode: (v: unknown) => string): string {
  return Object.entries(map as Record<string, unknown>).map(([k, v]) => el(item, text(keyName, k) + el(valueName, encode(v)))).join('')
}

function escapeText(v: unknown): string {
  return String(v).replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))
}
