// Publish and PublishBatch (PROTOCOL.md §12.8 "Delivery"). Each call is one hubq topic publish,
// which the store fans out to the bound (raw) subscriptions in one record with one mid, the SNS
// MessageId; then the face delivers to its own subscriptions (the JSON envelope, or a filter hubq's
// bind cannot say), one queue publish per queue. The reply waits for all of them to be durable.
import { createHash } from 'node:crypto'
import { checkMessageSize } from '../../../shared/protocol/requests.js'
import type { Attrs, PublishInput } from '../../../shared/protocol/types.js'
import { arn, type Caller } from '../caller.js'
import { memo, type Action, type Call } from '../context.js'
import { AwsError, snsInvalidParameter } from '../errors.js'
import { fifoKeys, type FifoKeyErrors } from '../fifo-keys.js'
import { optList, optString, type Input } from '../params.js'
import type { TopicMeta } from '../state.js'
import { batchEntries, sendEach } from '../sqs/batch.js'
import { bodyJsonOf, checkContents, readAttributes } from '../sqs/mapping.js'
import type { AttributeValue } from '../sqs/md5.js'
import { queueStats } from '../sqs/queue.js'
import { sequenceNumberOf } from '../sqs/send.js'
import { matchesPolicy } from './filter-policy.js'
import { parameterValueInvalid, snsErrorOf } from './errors.js'
import { facedSubscriptions, isRaw, policyOf, scopeOf } from './subscription.js'
import { existingTopic, isFifoTopic } from './topic.js'

const MAX_BYTES = 262_144
const SNS_KEY_ERRORS: FifoKeyErrors = {
  badGroup: () => snsInvalidParameter('Invalid parameter: MessageGroupId Reason: 1 to 128 printable ASCII characters'),
  groupRequired: () => snsInvalidParameter('Invalid parameter: The MessageGroupId parameter is required for FIFO topics'),
  badDedup: () => snsInvalidParameter('Invalid parameter: MessageDeduplicationId Reason: 1 to 128 printable ASCII characters'),
  dedupNotAllowed: () => snsInvalidParameter('Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type'),
  dedupRequired: () => snsInvalidParameter('Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly'),
}
/** A fifo topic drops a repeated MessageDeduplicationId within 5 minutes, as SNS does. */
const DEDUP_MS = 5 * 60_000
const PLACEHOLDER_MID = '00000000-0000-7000-8000-000000000000'

interface Prepared {
  /** What SQS subscribers get as the message (MessageStructure json: its `sqs` or `default`). */
  message: string
  subject?: string
  attributes: Record<string, AttributeValue>
  attrs?: Attrs
  group?: string
  dedupId?: string
}

function prepare(entry: Input, name: string, meta: TopicMeta, limits: Call['face']['limits']): Prepared {
  const raw = entry.Message
  if (raw === undefined || raw === null || raw === '') throw snsInvalidParameter('Invalid parameter: Empty message')
  if (typeof raw !== 'string') throw snsInvalidParameter('Invalid parameter: Message must be a string')
  checkContents(raw, 'the message')
  let message = raw
  const structure = optString(entry, 'MessageStructure')
  if (structure !== undefined) {
    if (structure !== 'json') throw snsInvalidParameter('Invalid parameter: MessageStructure Reason: only json is valid')
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      parsed = undefined
    }
    const map = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
    if (typeof map?.default !== 'string') throw snsInvalidParameter('Invalid parameter: Message Structure - No default entry in JSON message body')
    message = typeof map.sqs === 'string' ? map.sqs : map.default
  }
  const prepared: Prepared = { message, attributes: {} }
  const subject = optString(entry, 'Subject')
  if (subject !== undefined) {
    if (subject === '' || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject)) {
      throw snsInvalidParameter('Invalid parameter: Subject Reason: 1 to 100 printable ASCII characters, no line breaks')
    }
    prepared.subject = subject
  }
  let size = Buffer.byteLength(raw)
  try {
    const read = readAttributes(entry.MessageAttributes)
    prepared.attributes = read.attributes
    if (read.attrs) prepared.attrs = read.attrs
    size += read.size
  } catch (err) {
    throw err instanceof AwsError ? parameterValueInvalid(err.message) : err
  }
  if (size > MAX_BYTES) throw snsInvalidParameter(`Invalid parameter: Message too long: ${size} bytes with its attributes, at most ${MAX_BYTES}`)
  const fifo = isFifoTopic(name)
  const { group, dedupId } = fifoKeys(entry, fifo, meta.attributes.ContentBasedDeduplication === 'true', raw, SNS_KEY_ERRORS)
  if (group !== undefined) prepared.group = group
  if (dedupId !== undefined) prepared.dedupId = dedupId
  checkMessageSize(bodyJsonOf(message), prepared.attrs, limits)
  return prepared
}

/** The message as a raw subscription's queue and the store's binding get it. */
function rawInput(p: Prepared): PublishInput {
  const input: PublishInput = { bodyJson: bodyJsonOf(p.message) }
  if (p.attrs) input.attrs = p.attrs
  if (p.group !== undefined) input.group = p.group
  if (p.dedupId !== undefined) input.dedupId = p.dedupId
  return input
}

/** SNS's JSON envelope for a non-raw SQS subscription, its fields in SNS's order. */
export function envelopeOf(caller: Caller, topic: string, subscriptionKey: string, mid: string, p: Prepared, timestamp: string, signatureVersion: string): Record<string, unknown> {
  const topicArn = arn(caller, 'sns', topic)
  const envelope: Record<string, unknown> = { Type: 'Notification', MessageId: mid }
  if (isFifoTopic(topic)) envelope.SequenceNumber = sequenceNumberOf(mid)
  envelope.TopicArn = topicArn
  if (p.subject !== undefined) envelope.Subject = p.subject
  envelope.Message = p.message
  envelope.Timestamp = timestamp
  // SNS signs with its certificate's key; hubq has none, so this digest of the same string to sign
  // has the shape of a signature and verifies against nothing (PROTOCOL.md §12.8).
  const toSign = `Message\n${p.message}\nMessageId\n${mid}\n${p.subject !== undefined ? `Subject\n${p.subject}\n` : ''}Timestamp\n${timestamp}\nTopicArn\n${topicArn}\nType\nNotification\n`
  envelope.SignatureVersion = signatureVersion
  envelope.Signature = createHash(signatureVersion === '2' ? 'sha256' : 'sha1').update(toSign).digest('base64')
  envelope.SigningCertURL = `${caller.origin}/SimpleNotificationService-hubq.pem`
  envelope.UnsubscribeURL = `${caller.origin}/?Action=Unsubscribe&SubscriptionArn=${arn(caller, 'sns', subscriptionKey)}`
  const names = Object.keys(p.attributes)
  if (names.length > 0) {
    const attributes: Record<string, { Type: string; Value: string }> = {}
    for (const name of names) {
      const a = p.attributes[name] as AttributeValue
      attributes[name] = { Type: a.DataType, Value: a.StringValue ?? a.BinaryValue ?? '' }
    }
    envelope.MessageAttributes = attributes
  }
  return envelope
}

interface Sent {
  MessageId: string
  SequenceNumber?: string
}

/**
 * Publishes the prepared messages of one call: the topic publish (one store batch), then the
 * face's own subscriptions. Throws before anything is stored when a copy would not fit.
 */
async function deliver(call: Call, topic: string, meta: TopicMeta, messages: Prepared[]): Promise<Sent[]> {
  const { face } = call
  const fifo = isFifoTopic(topic)
  const seen = memo(face, 'sns-dedup', () => new Map<string, { mid: string; at: number }>())
  const now = face.now()
  if (fifo) for (const [k, v] of seen) if (now - v.at >= DEDUP_MS) seen.delete(k)
  const sent: (Sent | undefined)[] = messages.map((p) => {
    const earlier = fifo && p.dedupId !== undefined ? seen.get(`${topic}\n${p.dedupId}`) : undefined
    return earlier ? { MessageId: earlier.mid, SequenceNumber: sequenceNumberOf(earlier.mid) } : undefined
  })
  const fresh = messages.map((p, i) => ({ p, i })).filter(({ i }) => sent[i] === undefined)
  if (fresh.length === 0) return sent as Sent[]
  // The face's subscriptions whose queue is there, each with what it takes of each message.
  const signatureVersion = meta.attributes.SignatureVersion ?? '1'
  const timestamp = new Date(now).toISOString()
  const targets: { key: string; queue: string; raw: boolean; picks: number[] }[] = []
  for (const { key, meta: sub } of facedSubscriptions(face, topic)) {
    if (!(await queueStats(face, sub.queue))) continue
    const policy = policyOf(sub.attributes)
    const scope = scopeOf(sub.attributes)
    const raw = isRaw(sub.attributes)
    const picks = fresh.filter(({ p }) => policy === undefined || matchesPolicy(policy, scope, p.attrs, p.message)).map(({ i }) => i)
    if (picks.length === 0) continue
    for (const i of picks) {
      const p = messages[i] as Prepared
      if (!raw) checkMessageSize(JSON.stringify(envelopeOf(call.caller, topic, key, PLACEHOLDER_MID, p, timestamp, signatureVersion)), undefined, face.limits)
    }
    targets.push({ key, queue: sub.queue, raw, picks })
  }
  const mids = await face.store.publish({ topic }, fresh.map(({ p }) => rawInput(p)))
  const midOf = new Map<number, string>()
  fresh.forEach(({ i }, n) => midOf.set(i, mids[n] as string))
  await Promise.all(targets.map((target) => face.store.publish({ queue: target.queue }, target.picks.map((i) => {
    const p = messages[i] as Prepared
    if (target.raw) return rawInput(p)
    const input: PublishInput = { bodyJson: JSON.stringify(envelopeOf(call.caller, topic, target.key, midOf.get(i) as string, p, timestamp, signatureVersion)) }
    if (p.group !== undefined) input.group = p.group
    if (p.dedupId !== undefined) input.dedupId = p.dedupId
    return input
  }))))
  for (const { p, i } of fresh) {
    const mid = midOf.get(i) as string
    sent[i] = fifo ? { MessageId: mid, SequenceNumber: sequenceNumberOf(mid) } : { MessageId: mid }
    if (fifo && p.dedupId !== undefined) seen.set(`${topic}\n${p.dedupId}`, { mid, at: now })
  }
  return sent as Sent[]
}

export const publish: Action = async (input, call) => {
  if (optString(input, 'TargetArn') !== undefined && input.TopicArn === undefined) input = { ...input, TopicArn: input.TargetArn }
  if (optString(input, 'PhoneNumber') !== undefined) throw snsInvalidParameter('Invalid parameter: PhoneNumber Reason: hubq publishes to topics only')
  const { name, meta } = await existingTopic(input, call)
  const prepared = prepare(input, name, meta, call.face.limits)
  const [sent] = await deliver(call, name, meta, [prepared])
  return { ...(sent as Sent) }
}

export const publishBatch: Action = async (input, call) => {
  const { name, meta } = await existingTopic(input, call)
  // The query protocol sends an empty list as `PublishBatchRequestEntries=`.
  const given = input.PublishBatchRequestEntries === '' ? [] : optList(input, 'PublishBatchRequestEntries') ?? []
  const entries = batchEntries({ Entries: given })
  let total = 0
  for (const e of entries) {
    total += typeof e.Message === 'string' ? Buffer.byteLength(e.Message) : 0
    if (e.MessageAttributes !== undefined && e.MessageAttributes !== null) total += Buffer.byteLength(JSON.stringify(e.MessageAttributes))
  }
  if (total > MAX_BYTES) throw new AwsError('BatchRequestTooLong', `The length of all the messages put together is more than the limit of ${MAX_BYTES} bytes.`)
  return sendEach(entries, (entry) => prepare(entry, name, meta, call.face.limits), (prepared) => deliver(call, name, meta, prepared), snsErrorOf)
}
