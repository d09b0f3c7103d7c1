// SendMessage and SendMessageBatch: an SQS message becomes a hubq publish to the queue
// (PROTOCOL.md §12 "Bodies and attributes"); confirmed once the store says it is durable.
import type { PublishInput } from '../../../shared/protocol/types.js'
import { messageSize, type Limits } from '../../../shared/protocol/requests.js'
import type { Action, Call } from '../context.js'
import { batchRequestTooLong, invalidParameterValue, missingParameter } from '../errors.js'
import { fifoKeys, type FifoKeyErrors } from '../fifo-keys.js'
import { optInt, type Input, type Output } from '../params.js'
import type { QueueMeta } from '../state.js'
import { batchEntries, sendEach } from './batch.js'
import { md5Hex, md5OfAttributes } from './md5.js'
import { bodyJsonOf, checkContents, readAttributes } from './mapping.js'
import { currentAttributes } from './queue-attributes.js'
import { existingQueue, isFifoName } from './queue.js'

const SQS_KEY_ERRORS: FifoKeyErrors = {
  badGroup: (group) => invalidParameterValue(`Value ${group} for parameter MessageGroupId is invalid. Reason: 1 to 128 printable ASCII characters.`),
  groupRequired: () => missingParameter('MessageGroupId'),
  badDedup: (dedup) => invalidParameterValue(`Value ${dedup} for parameter MessageDeduplicationId is invalid. Reason: 1 to 128 printable ASCII characters.`),
  dedupNotAllowed: () => invalidParameterValue('The request include parameter MessageDeduplicationId that is not valid for this queue type.'),
  dedupRequired: () => invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly'),
}

interface Prepared {
  input: PublishInput
  reply: Output
}

/** One message's checks and its publish input; `reply` gets MessageId (and SequenceNumber) later. */
function prepare(entry: Input, name: string, meta: QueueMeta, limits: Limits): Prepared {
  const body = entry.MessageBody
  if (body === undefined || body === null || body === '') throw missingParameter('MessageBody')
  if (typeof body !== 'string') throw invalidParameterValue('Value for parameter MessageBody must be a string.')
  checkContents(body, 'the message body')
  const { attributes, size, attrs } = readAttributes(entry.MessageAttributes)
  const current = currentAttributes(name, meta)
  const maxSize = Number(current.MaximumMessageSize)
  if (Buffer.byteLength(body) + size > maxSize) {
    throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`)
  }
  const fifo = isFifoName(name)
  const input: PublishInput = { bodyJson: bodyJsonOf(body) }
  if (attrs) input.attrs = attrs
  // The broker's own limit, counted as the hubq protocol counts it (the stored JSON text and attrs).
  const stored = messageSize(input.bodyJson, attrs)
  if (stored > limits.maxMessage) {
    throw invalidParameterValue(`One or more parameters are invalid. Reason: Message is ${stored} bytes as the broker stores it, over its max-message of ${limits.maxMessage} bytes.`)
  }
  const delay = optInt(entry, 'DelaySeconds', 0, 900)
  if (delay !== undefined) {
    if (fifo) throw invalidParameterValue(`Value ${delay} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`)
    input.delay = delay
  }
  const { group, dedupId } = fifoKeys(entry, fifo, current.ContentBasedDeduplication === 'true', body, SQS_KEY_ERRORS)
  if (group !== undefined) input.group = group
  if (dedupId !== undefined) input.dedupId = dedupId
  const reply: Output = { MD5OfMessageBody: md5Hex(body) }
  const md5 = md5OfAttributes(attributes)
  if (md5 !== undefined) reply.MD5OfMessageAttributes = md5
  return { input, reply }
}

/** A fifo message's SequenceNumber: its message id (a UUID v7, in publish order) as a decimal. */
export function sequenceNumberOf(mid: string): string {
  return BigInt('0x' + mid.replace(/-/g, '')).toString()
}

function withId(prepared: Prepared, mid: string, fifo: boolean): Output {
  const reply: Output = { ...prepared.reply, MessageId: mid }
  if (fifo) reply.SequenceNumber = sequenceNumberOf(mid)
  return reply
}

export const sendMessage: Action = async (input, call) => {
  const { name, meta } = await existingQueue(input, call)
  const prepared = prepare(input, name, meta, call.face.limits)
  const [mid] = await call.face.store.publish({ queue: name }, [prepared.input])
  return withId(prepared, mid as string, isFifoName(name))
}

const BATCH_BYTES = 262_144

export const sendMessageBatch: Action = async (input, call: Call) => {
  const { name, meta } = await existingQueue(input, call)
  const entries = batchEntries(input)
  let total = 0
  for (const e of entries) total += typeof e.MessageBody === 'string' ? Buffer.byteLength(e.MessageBody) : 0
  if (total > BATCH_BYTES) throw batchRequestTooLong(`Batch requests cannot be longer than ${BATCH_BYTES} bytes. You have sent ${total} bytes.`)
  return sendEach(entries, (entry) => prepare(entry, name, meta, call.face.limits), async (prepared) => {
    // One store batch: every valid entry is confirmed together, or none is.
    const mids = await call.face.store.publish({ queue: name }, prepared.map((p) => p.input))
    return prepared.map((p, i) => withId(p, mids[i] as string, isFifoName(name)))
  })
}
