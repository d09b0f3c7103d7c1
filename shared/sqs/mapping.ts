// hubq messages <-> SQS messages: the body travels as its JSON text, attrs as String message
// attributes, the group as MessageGroupId.
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs'
import type { Attrs, Delivery } from '../protocol/types.js'

export function toMessageAttributes(attrs: Attrs | undefined): Record<string, MessageAttributeValue> | undefined {
  if (!attrs) return undefined
  const out: Record<string, MessageAttributeValue> = {}
  for (const [name, value] of Object.entries(attrs)) out[name] = { DataType: 'String', StringValue: value }
  return out
}

/** The system attributes every receive asks for. */
export const RECEIVE_ATTRIBUTES = ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'] as const

export function toDelivery(message: Message, queue: string): Delivery {
  const delivery: Delivery = {
    mid: message.MessageId ?? '',
    receipt: message.ReceiptHandle ?? '',
    queue,
    bodyJson: jsonText(message.Body ?? ''),
    receives: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    publishedAt: Number(message.Attributes?.SentTimestamp ?? 0),
  }
  const attrs = fromMessageAttributes(message.MessageAttributes)
  if (attrs) delivery.attrs = attrs
  const group = message.Attributes?.MessageGroupId
  if (group !== undefined) delivery.group = group
  return delivery
}

function fromMessageAttributes(values: Record<string, MessageAttributeValue> | undefined): Attrs | undefined {
  if (!values) return undefined
  let out: Attrs | undefined
  for (const [name, value] of Object.entries(values)) {
    // Binary attributes (sent by other tools) have no string form; hubq attrs are strings.
    if (value.StringValue === undefined) continue
    out ??= {}
    out[name] = value.StringValue
  }
  return out
}

/** The body is spliced into replies as JSON; a body some other producer sent as plain text
 * is delivered as a JSON string rather than corrupting the reply. */
function jsonText(body: string): string {
  try {
    JSON.parse(body)
    return body
  } catch {
    return JSON.stringify(body)
  }
}
