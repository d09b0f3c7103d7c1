// The SNS actions on subscriptions: Subscribe, Unsubscribe, ListSubscriptions(ByTopic),
// Get/SetSubscriptionAttributes (PROTOCOL.md §12.8). Only the `sqs` protocol, to this server's queues.
import { arn, nameOfArn, type Caller } from '../caller.js'
import type { Action } from '../context.js'
import { snsInvalidParameter } from '../errors.js'
import { optString, reqString, stringMap } from '../params.js'
import { isFifoName, queueStats } from '../sqs/queue.js'
import { parsePolicy } from './filter-policy.js'
import { findSubscription, listSubscriptions, placeSubscription, removeSubscription, scopeOf, subscriptionKey, type Subscription } from './subscription.js'
import { existingTopic, isFifoTopic } from './topic.js'

const PAGE = 100
const PASSED = new Set(['DeliveryPolicy', 'RedrivePolicy', 'SubscriptionRoleArn'])

/** The subscription attributes after setting `name` to `value` (the others as they were). */
function withAttribute(attributes: Record<string, string>, name: string, value: string, check = true): Record<string, string> {
  const out = { ...attributes }
  const invalid = (reason: string): Error => snsInvalidParameter(`Invalid parameter: ${name} Reason: ${reason}`)
  if (name === 'RawMessageDelivery') {
    if (!/^(true|false)$/i.test(value)) throw invalid('must be true or false')
    out[name] = value.toLowerCase()
  } else if (name === 'FilterPolicyScope') {
    if (value !== 'MessageAttributes' && value !== 'MessageBody') throw invalid('must be MessageAttributes or MessageBody')
    out[name] = value
  } else if (name === 'FilterPolicy') {
    if (value === '') delete out[name]
    else out[name] = value
  } else if (PASSED.has(name)) {
    if (value !== '' && name !== 'SubscriptionRoleArn') {
      try {
        const parsed: unknown = JSON.parse(value)
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      } catch {
        throw invalid('not a JSON object')
      }
    }
    if (value === '') delete out[name]
    else out[name] = value
  } else {
    throw snsInvalidParameter(`Invalid parameter: AttributeName Reason: Unknown attribute ${name}`)
  }
  // The policy is read under the scope it will be evaluated in.
  if (check) checkPolicy(out)
  return out
}

function checkPolicy(attributes: Record<string, string>): void {
  if (attributes.FilterPolicy !== undefined) parsePolicy(attributes.FilterPolicy, scopeOf(attributes))
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const normal = (m: Record<string, string>): string => JSON.stringify(Object.entries({ RawMessageDelivery: 'false', ...m }).sort(([x], [y]) => (x < y ? -1 : 1)))
  return normal(a) === normal(b)
}

export const subscribe: Action = async (input, call) => {
  const { name: topic } = await existingTopic(input, call)
  const protocol = reqString(input, 'Protocol')
  if (protocol !== 'sqs') throw snsInvalidParameter(`Invalid parameter: Protocol Reason: hubq delivers to the sqs protocol only, not ${protocol}`)
  const endpoint = reqString(input, 'Endpoint')
  const queue = nameOfArn(endpoint, 'sqs')
  if (queue === undefined) throw snsInvalidParameter('Invalid parameter: SQS endpoint ARN')
  if (!(await queueStats(call.face, queue))) throw snsInvalidParameter(`Invalid parameter: Endpoint Reason: queue ${queue} does not exist on this server`)
  if (isFifoName(queue) && !isFifoTopic(topic)) throw snsInvalidParameter('Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics')
  let attributes: Record<string, string> = {}
  for (const [k, v] of Object.entries(stringMap(input, 'Attributes'))) attributes = withAttribute(attributes, k, v, false)
  checkPolicy(attributes)
  const key = subscriptionKey(topic, queue)
  const existing = (await listSubscriptions(call.face, topic)).find((s) => s.key === key)
  if (existing) {
    if (Object.keys(attributes).length > 0 && !sameAttributes(existing.attributes, attributes)) {
      throw snsInvalidParameter('Invalid parameter: Attributes Reason: Subscription already exists with different attributes')
    }
    return { SubscriptionArn: arn(call.caller, 'sns', key) }
  }
  await placeSubscription(call.face, topic, queue, attributes, false)
  return { SubscriptionArn: arn(call.caller, 'sns', key) }
}

export const unsubscribe: Action = async (input, call) => {
  const sub = await findSubscription(call.face, reqString(input, 'SubscriptionArn'))
  await removeSubscription(call.face, sub)
  return {}
}

function listed(caller: Caller, sub: Subscription): Record<string, string> {
  return {
    SubscriptionArn: arn(caller, 'sns', sub.key),
    Owner: caller.account,
    Protocol: 'sqs',
    Endpoint: arn(caller, 'sqs', sub.queue),
    TopicArn: arn(caller, 'sns', sub.topic),
  }
}

function page(caller: Caller, subs: Subscription[], token: string | undefined): Record<string, unknown> {
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : ''
  if (token && after === '') throw snsInvalidParameter('Invalid parameter: NextToken')
  const rest = after === '' ? subs : subs.slice(subs.findIndex((s) => s.key === after) + 1)
  const chosen = rest.slice(0, PAGE)
  const out: Record<string, unknown> = { Subscriptions: chosen.map((s) => listed(caller, s)) }
  if (rest.length > chosen.length) out.NextToken = Buffer.from((chosen[chosen.length - 1] as Subscription).key).toString('base64url')
  return out
}

export const listSubscriptionsAction: Action = async (input, call) => page(call.caller, await listSubscriptions(call.face), optString(input, 'NextToken'))

export const listSubscriptionsByTopic: Action = async (input, call) => {
  const { name } = await existingTopic(input, call)
  return page(call.caller, await listSubscriptions(call.face, name), optString(input, 'NextToken'))
}

export const getSubscriptionAttributes: Action = async (input, call) => {
  const sub = await findSubscription(call.face, reqString(input, 'SubscriptionArn'))
  const attributes: Record<string, string> = {
    ...listed(call.caller, sub),
    ConfirmationWasAuthenticated: 'true',
    PendingConfirmation: 'false',
    RawMessageDelivery: 'false',
    SubscriptionPrincipal: `arn:aws:iam::${call.caller.account}:user/hubq`,
    ...sub.attributes,
  }
  if (attributes.FilterPolicy !== undefined) attributes.FilterPolicyScope = scopeOf(sub.attributes)
  else delete attributes.FilterPolicyScope
  return { Attributes: attributes }
}

export const setSubscriptionAttributes: Action = async (input, call) => {
  const sub = await findSubscription(call.face, reqString(input, 'SubscriptionArn'))
  const attributes = withAttribute(sub.attributes, reqString(input, 'AttributeName'), optString(input, 'AttributeValue') ?? '')
  await placeSubscription(call.face, sub.topic, sub.queue, attributes, sub.binding)
  return {}
}
