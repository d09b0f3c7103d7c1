// SNS subscriptions over hubq bindings (PROTOCOL.md §12.8). One subscription per topic and queue,
// as SNS has one per topic and endpoint; its id is derived from the two, so a binding made through
// the hubq protocol is a (raw) subscription too. A raw subscription whose filter hubq's bind can
// say is carried by the store's binding; any other (the JSON envelope, an SNS operator, the
// MessageBody scope) is delivered by the face on each Publish, and has no binding.
import { createHash } from 'node:crypto'
import { nameOfArn } from '../caller.js'
import type { Face } from '../context.js'
import { snsInvalidParameter, snsNotFound } from '../errors.js'
import type { SubscriptionMeta } from '../state.js'
import { bindFilterOf, parsePolicy, type FilterScope, type Policy } from './filter-policy.js'
import { visibleTopics } from './topic.js'

export interface Subscription {
  /** `TOPIC:ID`: the ARN without region and account. */
  key: string
  topic: string
  queue: string
  attributes: Record<string, string>
  /** The store has a binding of the topic to the queue. */
  binding: boolean
}

/** The id part of a subscription's ARN: a UUID-shaped digest of its topic and queue. */
export function subscriptionKey(topic: string, queue: string): string {
  const hex = createHash('sha256').update(`${topic}\n${queue}`).digest('hex')
  return `${topic}:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export function isRaw(attributes: Record<string, string>): boolean {
  return attributes.RawMessageDelivery?.toLowerCase() === 'true'
}

export function scopeOf(attributes: Record<string, string>): FilterScope {
  return attributes.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes'
}

export function policyOf(attributes: Record<string, string>): Policy | undefined {
  const text = attributes.FilterPolicy
  return text === undefined || text === '' ? undefined : parsePolicy(text, scopeOf(attributes))
}

/**
 * Every subscription, in topic and queue order: the store's bindings of the visible topics and
 * the face's own deliveries. One whose queue was dropped is gone, as a drop removes its bindings (§6.11).
 */
export async function listSubscriptions(face: Face, topic?: string): Promise<Subscription[]> {
  const topics = (await visibleTopics(face)).filter((t) => topic === undefined || t.topic === topic)
  const queues = new Set((await face.store.stats()).queues.map((q) => q.queue))
  const out: Subscription[] = []
  const seen = new Set<string>()
  let stale = false
  for (const t of topics) {
    for (const b of t.bindings) {
      const key = subscriptionKey(t.topic, b.queue)
      seen.add(key)
      const meta = face.state.subscriptions.get(key)
      const attributes = meta ? meta.attributes : bindingAttributes(b.filter)
      out.push({ key, topic: t.topic, queue: b.queue, attributes, binding: true })
    }
  }
  const visible = new Set(topics.map((t) => t.topic))
  for (const [key, meta] of face.state.subscriptions) {
    if (seen.has(key) || !visible.has(meta.topic)) continue
    if (meta.bound || !queues.has(meta.queue)) {
      // Its binding or its queue went (a drop through either face): so did the subscription.
      face.state.subscriptions.delete(key)
      stale = true
      continue
    }
    out.push({ key, topic: meta.topic, queue: meta.queue, attributes: meta.attributes, binding: false })
  }
  if (stale) await face.state.save()
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0))
}

/** A binding made through the hubq protocol, read as SNS would: raw, its filter as the policy. */
function bindingAttributes(filter: Record<string, string[]> | undefined): Record<string, string> {
  const attributes: Record<string, string> = { RawMessageDelivery: 'true' }
  if (filter) {
    attributes.FilterPolicy = JSON.stringify(filter)
    attributes.FilterPolicyScope = 'MessageAttributes'
  }
  return attributes
}

/** The subscription an ARN names (NotFound when there is none). */
export async function findSubscription(face: Face, value: string): Promise<Subscription> {
  const key = nameOfArn(value, 'sns')
  const topic = key?.slice(0, key.lastIndexOf(':'))
  if (key === undefined || !key.includes(':') || !topic) throw snsInvalidParameter('Invalid parameter: SubscriptionArn')
  const sub = (await listSubscriptions(face, topic)).find((s) => s.key === key)
  if (!sub) throw snsNotFound('Subscription does not exist')
  return sub
}

/** Carries the subscription with these attributes: a binding when hubq's bind can, else the face's delivery. */
export async function placeSubscription(face: Face, topic: string, queue: string, attributes: Record<string, string>, binding: boolean): Promise<string> {
  const key = subscriptionKey(topic, queue)
  const policy = policyOf(attributes)
  const filter = isRaw(attributes) ? (policy === undefined ? undefined : bindFilterOf(policy, scopeOf(attributes))) : false
  const meta: SubscriptionMeta = { topic, queue, attributes: { ...attributes }, bound: filter !== false }
  if (filter !== false) {
    await face.store.bind(topic, queue, filter)
  } else if (binding) {
    await face.store.unbind(topic, queue)
  }
  face.state.subscriptions.set(key, meta)
  await face.state.save()
  return key
}

export async function removeSubscription(face: Face, sub: Subscription): Promise<void> {
  if (sub.binding) await face.store.unbind(sub.topic, sub.queue)
  face.state.subscriptions.delete(sub.key)
  await face.state.save()
}

/** The face's own deliveries of a topic: its subscriptions without a binding. */
export function facedSubscriptions(face: Face, topic: string): { key: string; meta: SubscriptionMeta }[] {
  const out: { key: string; meta: SubscriptionMeta }[] = []
  for (const [key, meta] of face.state.subscriptions) if (meta.topic === topic && !meta.bound) out.push({ key, meta })
  return out
}
