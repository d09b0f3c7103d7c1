// hubq topics -> SNS topics named `prefix + name`; bind is an SQS subscription with raw message
// delivery and the filter as its filter policy, plus a queue policy letting the topic send.
import {
  CreateTopicCommand, DeleteTopicCommand, GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand,
  PublishBatchCommand, PublishCommand, SubscribeCommand, UnsubscribeCommand,
  type MessageAttributeValue, type SNSClient, type Subscription as SnsSubscription,
} from '@aws-sdk/client-sns'
import { SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs'
import { randomUUID } from 'node:crypto'
import { HubqError, badRequest, notFound } from '../errors.js'
import type { PublishInput, TopicStats } from '../protocol/types.js'
import { byName } from '../protocol/store-types.js'
import { fromAws } from './errors.js'
import { chunks } from './limits.js'
import type { QueueDirectory, QueueRef } from './queues.js'
import { AWS_NAME_PATTERN } from './url.js'

export class TopicDirectory {
  private readonly cache = new Map<string, string>()

  constructor(
    private readonly sns: SNSClient,
    private readonly sqs: SQSClient,
    private readonly queues: QueueDirectory,
    private readonly prefix: string,
  ) {}

  private snsName(topic: string): string {
    const name = this.prefix + topic
    if (!AWS_NAME_PATTERN.test(topic) || name.length > 256) {
      throw badRequest(`topic ${topic}: SNS topic names allow only letters, digits, '-' and '_'`)
    }
    return name
  }

  /** Every topic of this prefix: hubq name -> ARN. */
  async list(): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    let token: string | undefined
    do {
      let page
      try {
        page = await this.sns.send(new ListTopicsCommand(token ? { NextToken: token } : {}))
      } catch (err) {
        throw fromAws(err, 'SNS ListTopics')
      }
      for (const { TopicArn } of page.Topics ?? []) {
        const snsName = TopicArn?.slice(TopicArn.lastIndexOf(':') + 1)
        if (TopicArn && snsName?.startsWith(this.prefix)) out.set(snsName.slice(this.prefix.length), TopicArn)
      }
      token = page.NextToken
    } while (token)
    return out
  }

  async find(topic: string): Promise<string | undefined> {
    this.snsName(topic)
    const cached = this.cache.get(topic)
    if (cached) return cached
    const arn = (await this.list()).get(topic)
    if (arn) this.cache.set(topic, arn)
    return arn
  }

  async existing(topic: string): Promise<string> {
    const arn = await this.find(topic)
    if (!arn) throw notFound(`topic ${topic} does not exist`)
    return arn
  }

  async create(topic: string): Promise<{ created: boolean }> {
    if (await this.find(topic)) return { created: false }
    try {
      const arn = (await this.sns.send(new CreateTopicCommand({ Name: this.snsName(topic) }))).TopicArn
      if (arn) this.cache.set(topic, arn)
    } catch (err) {
      throw fromAws(err, 'SNS CreateTopic')
    }
    return { created: true }
  }

  /** The SNS topic goes, and with it every subscription (binding) it has. */
  async drop(topic: string): Promise<void> {
    const topicArn = await this.existing(topic)
    try {
      await this.sns.send(new DeleteTopicCommand({ TopicArn: topicArn }))
    } catch (err) {
      throw fromAws(err, 'SNS DeleteTopic')
    }
    this.cache.delete(topic)
  }

  async bind(topic: string, queueName: string, filter?: Record<string, string[]>): Promise<void> {
    const topicArn = await this.existing(topic)
    const queue = await this.queues.findOrDeclare(queueName)
    if (queue.fifo) {
      throw badRequest(`queue ${queueName} is fifo: SNS standard topics cannot deliver to SQS fifo queues`)
    }
    // Binding again replaces the filter, as on the local store.
    const old = await this.subscriptionOf(topicArn, queue)
    if (old?.SubscriptionArn) await this.unsubscribe(old.SubscriptionArn)
    await this.allowTopic(queue, topicArn)
    const attributes: Record<string, string> = { RawMessageDelivery: 'true' }
    if (filter) attributes.FilterPolicy = JSON.stringify(filter)
    try {
      await this.sns.send(new SubscribeCommand({
        TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: attributes, ReturnSubscriptionArn: true,
      }))
    } catch (err) {
      throw fromAws(err, 'SNS Subscribe')
    }
  }

  async unbind(topic: string, queueName: string): Promise<void> {
    const topicArn = await this.existing(topic)
    const queue = await this.queues.find(queueName)
    const sub = queue ? await this.subscriptionOf(topicArn, queue) : undefined
    if (!sub?.SubscriptionArn) throw notFound(`queue ${queueName} is not bound to topic ${topic}`)
    await this.unsubscribe(sub.SubscriptionArn)
  }

  /** A dropped queue leaves every topic, as on the local store, so a queue declared later under
   * the same name (the same ARN) does not inherit old bindings. */
  async unbindEverywhere(queue: QueueRef): Promise<void> {
    for (const topicArn of (await this.list()).values()) {
      for (const sub of await this.subscriptions(topicArn)) {
        if (sub.Protocol === 'sqs' && sub.Endpoint === queue.arn && sub.SubscriptionArn) await this.unsubscribe(sub.SubscriptionArn)
      }
    }
  }

  /** Publishes in batches of 10; answers SNS's message ids in the order given. */
  async publish(topic: string, inputs: PublishInput[]): Promise<string[]> {
    const topicArn = await this.existing(topic)
    for (const [i, input] of inputs.entries()) {
      if (input.delay !== undefined && input.delay > 0) {
        throw badRequest(`${inputs.length > 1 ? `messages[${i}].` : ''}delay: SNS has no per-message delay; publish to the queue, or declare the bound queue with a delay`)
      }
    }
    if (inputs.length === 1) {
      const input = inputs[0] as PublishInput
      try {
        const reply = await this.sns.send(new PublishCommand({
          TopicArn: topicArn, Message: input.bodyJson, MessageAttributes: toSnsAttributes(input),
        }))
        return [reply.MessageId ?? '']
      } catch (err) {
        throw fromAws(err, 'SNS Publish')
      }
    }
    const mids: string[] = []
    for (const batch of chunks(inputs)) {
      let reply
      try {
        reply = await this.sns.send(new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: batch.map((input, i) => ({
            Id: String(i), Message: input.bodyJson, MessageAttributes: toSnsAttributes(input),
          })),
        }))
      } catch (err) {
        throw fromAws(err, 'SNS PublishBatch')
      }
      const failed = reply.Failed?.[0]
      if (failed) {
        throw new HubqError(failed.SenderFault ? 'bad_request' : 'unavailable', `SNS PublishBatch failed for a message: ${failed.Code}: ${failed.Message ?? ''}`)
      }
      const byId = new Map((reply.Successful ?? []).map((s) => [s.Id, s.MessageId ?? '']))
      for (let i = 0; i < batch.length; i++) mids.push(byId.get(String(i)) ?? '')
    }
    return mids
  }

  async stats(): Promise<TopicStats[]> {
    const out: TopicStats[] = []
    for (const [topic, arn] of await this.list()) {
      const bindings: TopicStats['bindings'] = []
      for (const sub of await this.subscriptions(arn)) {
        const queueName = this.queues.hubqName(sub.Endpoint?.slice(sub.Endpoint.lastIndexOf(':') + 1) ?? '')
        if (queueName === undefined || !sub.SubscriptionArn) continue
        let filter: string | undefined
        try {
          filter = (await this.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes?.FilterPolicy
        } catch (err) {
          throw fromAws(err, 'SNS GetSubscriptionAttributes')
        }
        bindings.push(filter ? { queue: queueName, filter: JSON.parse(filter) as Record<string, string[]> } : { queue: queueName })
      }
      bindings.sort((a, b) => byName(a.queue, b.queue))
      out.push({ topic, bindings })
    }
    // SNS lists topics and subscriptions in no promised order: by name, as the local store.
    return out.sort((a, b) => byName(a.topic, b.topic))
  }

  private async subscriptions(topicArn: string): Promise<SnsSubscription[]> {
    const out: SnsSubscription[] = []
    let token: string | undefined
    do {
      let page
      try {
        page = await this.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(token ? { NextToken: token } : {}) }))
      } catch (err) {
        throw fromAws(err, 'SNS ListSubscriptionsByTopic')
      }
      out.push(...(page.Subscriptions ?? []))
      token = page.NextToken
    } while (token)
    return out
  }

  private async subscriptionOf(topicArn: string, queue: QueueRef): Promise<SnsSubscription | undefined> {
    return (await this.subscriptions(topicArn)).find((s) => s.Protocol === 'sqs' && s.Endpoint === queue.arn)
  }

  private async unsubscribe(subscriptionArn: string): Promise<void> {
    try {
      await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }))
    } catch (err) {
      throw fromAws(err, 'SNS Unsubscribe')
    }
  }

  /** On AWS a topic may send to a queue only when the queue's policy says so. */
  private async allowTopic(queue: QueueRef, topicArn: string): Promise<void> {
    const current = (await this.queues.attributes(queue.url, ['Policy'])).Policy
    const policy = parsePolicy(current) ?? { Version: '2012-10-17', Statement: [] }
    const statements = (policy.Statement ??= [])
    if (statements.some((s) => s.Condition?.ArnEquals?.['aws:SourceArn'] === topicArn)) return
    statements.push({
      Sid: `hubq-${randomUUID()}`,
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queue.arn,
      Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
    })
    try {
      await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: JSON.stringify(policy) } }))
    } catch (err) {
      throw fromAws(err, 'SQS SetQueueAttributes Policy')
    }
  }
}

interface PolicyDocument {
  Version?: string
  Statement?: { Sid?: string; Condition?: { ArnEquals?: Record<string, string> }; [key: string]: unknown }[]
}

function parsePolicy(text: string | undefined): PolicyDocument | undefined {
  if (!text) return undefined
  try {
    return JSON.parse(text) as PolicyDocument
  } catch {
    return undefined
  }
}

function toSnsAttributes(input: PublishInput): Record<string, MessageAttributeValue> | undefined {
  if (!input.attrs) return undefined
  const out: Record<string, MessageAttributeValue> = {}
  for (const [name, value] of Object.entries(input.attrs)) out[name] = { DataType: 'String', StringValue: value }
  return out
}
