// SNS over its query protocol: the action table, requests read into input shapes, XML replies.
import type { Action } from '../context.js'
import type { Input, Output } from '../params.js'
import { el, text } from '../xml.js'
import { snsErrors } from './errors.js'
import { publish, publishBatch } from './publish.js'
import {
  getSubscriptionAttributes, listSubscriptionsAction, listSubscriptionsByTopic, setSubscriptionAttributes, subscribe, unsubscribe,
} from './subscriptions.js'
import { listTagsForResource, tagResource, untagResource } from './tags.js'
import { createTopic, deleteTopic, getTopicAttributes, listTopics, setTopicAttributes } from './topics.js'

export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/'

const ACTIONS: Record<string, Action> = {
  CreateTopic: createTopic,
  DeleteTopic: deleteTopic,
  ListTopics: listTopics,
  GetTopicAttributes: getTopicAttributes,
  SetTopicAttributes: setTopicAttributes,
  Subscribe: subscribe,
  Unsubscribe: unsubscribe,
  ListSubscriptions: listSubscriptionsAction,
  ListSubscriptionsByTopic: listSubscriptionsByTopic,
  GetSubscriptionAttributes: getSubscriptionAttributes,
  SetSubscriptionAttributes: setSubscriptionAttributes,
  Publish: publish,
  PublishBatch: publishBatch,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
}

/** Every SNS action the face serves, each answering in SNS's error codes. */
export const SNS_ACTIONS: Record<string, Action> = Object.fromEntries(Object.entries(ACTIONS).map(([name, action]) => [name, snsErrors(action)]))

export function snsAction(name: string): Action | undefined {
  return Object.hasOwn(SNS_ACTIONS, name) ? SNS_ACTIONS[name] : undefined
}

export function snsQueryInput(form: Input): Input {
  const out: Input = { ...form }
  delete out.Action
  delete out.Version
  return out
}

/** Lists as `<member>` items, maps (`Attributes`) as `<entry><key/><value/></entry>`. */
export function snsXml(output: Output): string {
  let xml = ''
  for (const [key, value] of Object.entries(output)) xml += field(key, value)
  return xml
}

function field(key: string, value: unknown): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return el(key, value.map((v) => typeof v === 'object' && v !== null ? el('member', snsXml(v as Output)) : text('member', v)).join(''))
  if (typeof value === 'object') {
    if (key === 'Attributes') return el(key, Object.entries(value as Record<string, unknown>).map(([k, v]) => el('entry', text('key', k) + text('value', v))).join(''))
    return el(key, snsXml(value as Output))
  }
  return text(key, value)
}
