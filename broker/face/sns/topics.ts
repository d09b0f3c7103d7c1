// The SNS actions on topics: CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes
// (PROTOCOL.md §12.8). Topics are hubq topics; their SNS attributes and tags live in the face's state.
import { arn, type Caller } from '../caller.js'
import type { Action } from '../context.js'
import { snsInvalidParameter } from '../errors.js'
import { optString, reqString, stringMap } from '../params.js'
import { listSubscriptions, removeSubscription } from './subscription.js'
import { checkTopicTags, tagsOf } from './tags.js'
import { existingTopic, isFifoTopic, TOPIC_NAME, topicOfArn, topicMetaOf, visibleTopics } from './topic.js'

const SETTABLE = new Set([
  'DisplayName', 'Policy', 'DeliveryPolicy', 'KmsMasterKeyId', 'SignatureVersion', 'TracingConfig', 'DataProtectionPolicy',
  'HTTPSuccessFeedbackRoleArn', 'HTTPFailureFeedbackRoleArn', 'HTTPSuccessFeedbackSampleRate',
  'SQSSuccessFeedbackRoleArn', 'SQSFailureFeedbackRoleArn', 'SQSSuccessFeedbackSampleRate',
  'LambdaSuccessFeedbackRoleArn', 'LambdaFailureFeedbackRoleArn', 'LambdaSuccessFeedbackSampleRate',
  'ApplicationSuccessFeedbackRoleArn', 'ApplicationFailureFeedbackRoleArn', 'ApplicationSuccessFeedbackSampleRate',
  'FirehoseSuccessFeedbackRoleArn', 'FirehoseFailureFeedbackRoleArn', 'FirehoseSuccessFeedbackSampleRate',
])
const FIFO_ONLY = new Set(['ContentBasedDeduplication', 'ArchivePolicy', 'FifoThroughputScope'])
const PAGE = 100

function invalidAttribute(name: string, reason?: string): Error {
  return snsInvalidParameter(`Invalid parameter: ${name}${reason ? ` Reason: ${reason}` : ''}`)
}

/** One attribute checked, as SNS keeps it. `creating`: FifoTopic may be given. */
function checkAttribute(name: string, value: string, fifo: boolean, creating: boolean): string {
  if (name === 'FifoTopic') {
    if (!creating) throw invalidAttribute('AttributeName', 'FifoTopic cannot change once the topic exists')
    if (value !== 'true' && value !== 'false') throw invalidAttribute('FifoTopic')
    if ((value === 'true') !== fifo) throw invalidAttribute('Topic Name', 'Fifo Topic names must end with .fifo and Standard Topic cannot end with .fifo')
    return value
  }
  if (FIFO_ONLY.has(name)) {
    if (!fifo) throw invalidAttribute(name, `${name} is valid only for FIFO topics`)
    if (name === 'ContentBasedDeduplication' && value !== 'true' && value !== 'false') throw invalidAttribute(name)
    if (name === 'FifoThroughputScope' && value !== 'Topic' && value !== 'MessageGroup') throw invalidAttribute(name)
    return value
  }
  if (!SETTABLE.has(name)) throw invalidAttribute('AttributeName', `Unknown attribute ${name}`)
  if (name === 'SignatureVersion' && value !== '1' && value !== '2') throw invalidAttribute(name)
  if (name === 'TracingConfig' && value !== 'PassThrough' && value !== 'Active') throw invalidAttribute(name)
  if ((name === 'Policy' || name === 'DeliveryPolicy' || name === 'DataProtectionPolicy') && value !== '') {
    try {
      const parsed: unknown = JSON.parse(value)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
    } catch {
      throw invalidAttribute(name, 'not a JSON object')
    }
  }
  return value
}

export const createTopic: Action = async (input, call) => {
  const name = reqString(input, 'Name')
  if (!TOPIC_NAME.test(name)) {
    throw snsInvalidParameter('Invalid parameter: Topic Name Reason: 1 to 80 alphanumeric characters, hyphens or underscores; a FIFO topic\'s name ends with .fifo')
  }
  const fifo = isFifoTopic(name)
  const given = stringMap(input, 'Attributes')
  const attributes: Record<string, string> = {}
  for (const [k, v] of Object.entries(given)) attributes[k] = checkAttribute(k, v, fifo, true)
  if (fifo) attributes.FifoTopic = 'true'
  else delete attributes.FifoTopic
  const tags = checkTopicTags(tagsOf(input.Tags))
  const { face } = call
  const exists = (await visibleTopics(face)).some((t) => t.topic === name)
  if (exists) {
    // Idempotent: the same attributes and tags answer the same ARN; a difference is refused, as on SNS.
    const meta = topicMetaOf(face, name)
    for (const [k, v] of Object.entries(attributes)) {
      if ((meta.attributes[k] ?? (k === 'FifoTopic' && fifo ? 'true' : '')) !== v) throw invalidAttribute('Attributes', 'Topic already exists with different attributes')
    }
    for (const [k, v] of Object.entries(tags)) {
      if (meta.tags[k] !== v) throw invalidAttribute('Tags', 'Topic already exists with different tags')
    }
    return { TopicArn: arn(call.caller, 'sns', name) }
  }
  await face.store.topic(name)
  face.state.topics.set(name, { attributes, tags })
  await face.state.save()
  return { TopicArn: arn(call.caller, 'sns', name) }
}

/**
 * The hubq topic goes (drop {topic}) with its bindings, and the face forgets its attributes, tags
 * and subscriptions. As on SNS, deleting a topic that is not there succeeds.
 */
export const deleteTopic: Action = async (input, call) => {
  const name = topicOfArn(reqString(input, 'TopicArn'))
  const { face } = call
  if (!(await visibleTopics(face)).some((t) => t.topic === name)) return {}
  for (const sub of await listSubscriptions(face, name)) await removeSubscription(face, sub)
  await face.store.dropTopic(name)
  face.state.topics.delete(name)
  await face.state.save()
  return {}
}

export const listTopics: Action = async (input, call) => {
  const token = optString(input, 'NextToken')
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : ''
  if (token && after === '') throw snsInvalidParameter('Invalid parameter: NextToken')
  const names = (await visibleTopics(call.face)).map((t) => t.topic).filter((n) => n > after)
  const page = names.slice(0, PAGE)
  const out: Record<string, unknown> = { Topics: page.map((n) => ({ TopicArn: arn(call.caller, 'sns', n) })) }
  if (names.length > page.length) out.NextToken = Buffer.from(page[page.length - 1] as string).toString('base64url')
  return out
}

export const getTopicAttributes: Action = async (input, call) => {
  const { name, meta } = await existingTopic(input, call)
  const subscriptions = await listSubscriptions(call.face, name)
  const topicArn = arn(call.caller, 'sns', name)
  const attributes: Record<string, string> = {
    TopicArn: topicArn,
    Owner: call.caller.account,
    Policy: defaultPolicy(call.caller, topicArn),
    DisplayName: '',
    SubscriptionsConfirmed: String(subscriptions.length),
    SubscriptionsPending: '0',
    SubscriptionsDeleted: '0',
    EffectiveDeliveryPolicy: EFFECTIVE_DELIVERY_POLICY,
  }
  if (isFifoTopic(name)) {
    attributes.FifoTopic = 'true'
    attributes.ContentBasedDeduplication = 'false'
  }
  for (const [k, v] of Object.entries(meta.attributes)) {
    if (v === '') delete attributes[k]
    else attributes[k] = v
  }
  return { Attributes: attributes }
}

export const setTopicAttributes: Action = async (input, call) => {
  const { name, meta } = await existingTopic(input, call)
  const attribute = reqString(input, 'AttributeName')
  const value = optString(input, 'AttributeValue') ?? ''
  meta.attributes[attribute] = checkAttribute(attribute, value, isFifoTopic(name), false)
  await call.face.state.save()
  return {}
}

const EFFECTIVE_DELIVERY_POLICY = JSON.stringify({
  http: {
    defaultHealthyRetryPolicy: { minDelayTarget: 20, maxDelayTarget: 20, numRetries: 3, numMaxDelayRetries: 0, numNoDelayRetries: 0, numMinDelayRetries: 0, backoffFunction: 'linear' },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
  },
})

function defaultPolicy(caller: Caller, topicArn: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [{
      Sid: '__default_statement_ID',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
      Resource: topicArn,
      Condition: { StringEquals: { 'AWS:SourceOwner': caller.account } },
    }],
  })
}
