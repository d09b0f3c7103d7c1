// ReceiveMessage: a hubq receive (long poll included) whose deliveries become SQS messages.
import type { Delivery } from '../../../shared/protocol/types.js'
import { memo, type Action, type Call } from '../context.js'
import { invalidAttributeName } from '../errors.js'
import { optInt, optString, stringList, type Output } from '../params.js'
import { arn } from '../caller.js'
import { md5Hex, md5OfAttributes, type AttributeValue } from './md5.js'
import { attributesOf, sqsBodyOf } from './mapping.js'
import { currentAttributes } from './queue-attributes.js'
import { existingQueue, isFifoName } from './queue.js'
import { handleOf } from './receipt.js'
import { sequenceNumberOf } from './send.js'

const SYSTEM = new Set(['All', 'SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SequenceNumber', 'MessageDeduplicationId', 'MessageGroupId', 'AWSTraceHeader', 'DeadLetterQueueSourceArn'])
/** ReceiveRequestAttemptId: the same attempt within 5 minutes answers the same messages while their receipts live. */
const ATTEMPT_MS = 5 * 60_000

interface Attempt {
  at: number
  receipts: string[]
  reply: Output
}

export const receiveMessage: Action = async (input, call) => {
  const { name, meta } = await existingQueue(input, call)
  const max = optInt(input, 'MaxNumberOfMessages', 1, 10) ?? 1
  const wait = optInt(input, 'WaitTimeSeconds', 0, 20) ?? Number(currentAttributes(name, meta).ReceiveMessageWaitTimeSeconds)
  const visibilityTimeout = optInt(input, 'VisibilityTimeout', 0, 43_200)
  const system = [...stringList(input, 'AttributeNames'), ...stringList(input, 'MessageSystemAttributeNames')]
  for (const n of system) if (!SYSTEM.has(n)) throw invalidAttributeName(`Unknown Attribute ${n}.`)
  const wanted = stringList(input, 'MessageAttributeNames')
  const attemptId = isFifoName(name) ? optString(input, 'ReceiveRequestAttemptId') : undefined
  const attempts = memo(call.face, 'receive-attempts', () => new Map<string, Attempt>())
  const attemptKey = attemptId === undefined ? undefined : `${name}\n${attemptId}`
  if (attemptKey !== undefined) {
    const earlier = attempts.get(attemptKey)
    const now = call.face.now()
    if (earlier && now - earlier.at < ATTEMPT_MS && earlier.receipts.every((r) => call.face.store.receiptQueue(r) === name)) return earlier.reply
    for (const [k, a] of attempts) if (now - a.at >= ATTEMPT_MS) attempts.delete(k)
  }
  const taking = call.face.store.receive(name, {
    max, wait, owner: call.face.owner, signal: call.signal,
    ...(visibilityTimeout !== undefined ? { visibilityTimeout } : {}),
  })
  let deliveries
  if (taking instanceof Promise) {
    call.face.polls++
    try {
      deliveries = await taking
    } finally {
      call.face.polls--
    }
  } else {
    deliveries = taking
  }
  const reply: Output = deliveries.length === 0 ? {} : { Messages: deliveries.map((d) => messageOf(d, call, system, wanted)) }
  if (attemptKey !== undefined && deliveries.length > 0) attempts.set(attemptKey, { at: call.face.now(), receipts: deliveries.map((d) => d.receipt), reply })
  return reply
}

function messageOf(d: Delivery, call: Call, system: string[], wanted: string[]): Output {
  const body = sqsBodyOf(d)
  const message: Output = { MessageId: d.mid, ReceiptHandle: handleOf(d.queue, d.receipt), MD5OfBody: md5Hex(body), Body: body }
  if (system.length > 0) {
    const all = system.includes('All')
    const values: Record<string, string> = {
      SenderId: call.caller.accessKeyId ?? call.caller.account,
      SentTimestamp: String(d.publishedAt),
      ApproximateReceiveCount: String(d.receives),
      ApproximateFirstReceiveTimestamp: String(d.receives === 1 ? call.face.now() : d.publishedAt),
    }
    if (d.group !== undefined) values.MessageGroupId = d.group
    if (isFifoName(d.queue)) values.SequenceNumber = sequenceNumberOf(d.mid)
    const source = d.attrs?.['AWS.DeadLetterQueueSource']
    if (source !== undefined) values.DeadLetterQueueSourceArn = arn(call.caller, 'sqs', source)
    const attributes: Record<string, string> = {}
    for (const [k, v] of Object.entries(values)) if (all || system.includes(k)) attributes[k] = v
    message.Attributes = attributes
  }
  if (wanted.length > 0) {
    const chosen: Record<string, AttributeValue> = {}
    for (const [k, v] of Object.entries(attributesOf(d.attrs))) if (wantedName(k, wanted)) chosen[k] = v
    const md5 = md5OfAttributes(chosen)
    if (md5 !== undefined) {
      message.MessageAttributes = chosen
      message.MD5OfMessageAttributes = md5
    }
  }
  return message
}

function wantedName(name: string, wanted: string[]): boolean {
  for (const w of wanted) {
    if (w === 'All' || w === '.*' || w === name) return true
    if (w.endsWith('.*') && name.startsWith(w.slice(0, -1))) return true
  }
  return false
}
