// The SNS/SQS adapter on its own, against fauxqs over HTTP: how hubq operations map to SQS and
// SNS resources, and how failures surface.
import t, { type Test } from 'tap'
import {
  CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand,
} from '@aws-sdk/client-sqs'
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand } from '@aws-sdk/client-sns'
import { HubqError } from '../../../shared/errors.js'
import { SqsStore } from '../../../broker/store/sqs/store.js'
import { REGION, startFauxqs, uniquePrefix } from '../../helpers/fauxqs.js'
import type { Owner } from '../../../broker/store/types.js'

const fauxqs = await startFauxqs()
t.teardown(() => fauxqs.stop())
const { sqs, sns } = fauxqs.clients()
const owner: Owner = { id: 1 }

async function open(t: Test, prefix = uniquePrefix('st')): Promise<{ store: SqsStore; prefix: string }> {
  const store = fauxqs.store(prefix)
  await store.open()
  t.teardown(() => store.close())
  return { store, prefix }
}

async function urlOf(name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string
}

async function attributesOf(name: string): Promise<Record<string, string>> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await urlOf(name), AttributeNames: ['All'] }))).Attributes ?? {}
}

t.test('declare creates prefixed SQS queues with the mapped attributes and redrive policy', async (t) => {
  const { store, prefix } = await open(t)
  t.same(await store.declare({ queue: 'dead' }), { created: true })
  t.same(await store.declare({ queue: 'jobs', visibilityTimeout: 7, delay: 3, retention: 600, maxReceives: 4, deadLetter: 'dead' }), { created: true })
  const attrs = await attributesOf(`${prefix}jobs`)
  t.equal(attrs.VisibilityTimeout, '7')
  t.equal(attrs.DelaySeconds, '3')
  t.equal(attrs.MessageRetentionPeriod, '600')
  t.same(JSON.parse(attrs.RedrivePolicy ?? '{}'), { deadLetterTargetArn: `arn:aws:sqs:${REGION}:000000000000:${prefix}dead`, maxReceiveCount: 4 })
  t.same(await store.declare({ queue: 'jobs', visibilityTimeout: 9 }), { created: false })
  t.equal((await attributesOf(`${prefix}jobs`)).VisibilityTimeout, '9', 'a second declare changes the settings')
  t.same(await store.declare({ queue: 'jobs', maxReceives: 0 }), { created: false })
  t.notOk((await attributesOf(`${prefix}jobs`)).RedrivePolicy, 'maxReceives 0 removes the redrive policy')
  await store.declare({ queue: 'orders', fifo: true })
  t.equal((await attributesOf(`${prefix}orders.fifo`)).FifoQueue, 'true', 'fifo queues get the .fifo suffix')
  await t.rejects(Promise.resolve().then(() => store.declare({ queue: 'orders', fifo: false })), { code: 'bad_request', message: /fifo=true/ })
  await t.rejects(Promise.resolve().then(() => store.declare({ queue: 'x', delay: 901 })), { code: 'bad_request', message: /900 s/ })
  await t.rejects(Promise.resolve().then(() => store.declare({ queue: 'x', retention: 30 })), { code: 'bad_request', message: /retention/ })
})

t.test('bind subscribes the queue with raw delivery, the filter policy and a queue policy', async (t) => {
  const { store, prefix } = await open(t)
  await store.topic('events')
  await store.bind('events', 'red', { color: ['red'] })
  const topics = (await sns.send(new ListTopicsCommand({}))).Topics ?? []
  const topicArn = topics.map((x) => x.TopicArn).find((arn) => arn?.endsWith(`:${prefix}events`)) as string
  t.ok(topicArn, 'the SNS topic carries the prefix')
  const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions ?? []
  t.equal(subs.length, 1)
  t.equal(subs[0]?.Protocol, 'sqs')
  const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subs[0]?.SubscriptionArn }))).Attributes ?? {}
  t.equal(attrs.RawMessageDelivery, 'true')
  t.same(JSON.parse(attrs.FilterPolicy ?? '{}'), { color: ['red'] })
  const policy = JSON.parse((await attributesOf(`${prefix}red`)).Policy ?? '{}')
  t.match(policy.Statement, [{ Effect: 'Allow', Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } }])
  await store.bind('events', 'red')
  const again = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions ?? []
  t.equal(again.length, 1, 'binding again replaces the subscription')
  t.equal(JSON.parse((await attributesOf(`${prefix}red`)).Policy ?? '{}').Statement.length, 1, 'the queue policy is not repeated')
})

t.test('ack of a batch counts what it settled; unknown receipts are skipped or refused alone', async (t) => {
  const { store } = await open(t)
  await store.publish({ queue: 'q' }, [{ bodyJson: '1' }, { bodyJson: '2' }])
  const got = await store.receive('q', { max: 2, wait: 1, owner })
  t.equal(got.length, 2)
  t.equal(await store.ack([got[0]?.receipt as string, 'nope', got[1]?.receipt as string]), 2)
  await t.rejects(store.ack(['nope']), { code: 'unknown_receipt' })
  await t.rejects(store.nack('nope', 0), { code: 'unknown_receipt' })
  await t.rejects(store.touch('nope', 5), { code: 'unknown_receipt' })
})

t.test('release makes an owner\'s deliveries visible at once', async (t) => {
  const { store } = await open(t)
  await store.publish({ queue: 'q' }, [{ bodyJson: '"x"' }])
  const [first] = await store.receive('q', { max: 1, wait: 1, owner })
  store.release(owner)
  const [again] = await store.receive('q', { max: 1, wait: 5, owner: { id: 2 } })
  t.equal(again?.mid, first?.mid)
  t.equal(again?.receives, 2)
  await t.rejects(store.ack([first?.receipt as string]), { code: 'unknown_receipt' }, 'the released receipt is dead')
})

t.test('a body another producer sent as plain text is delivered as a JSON string', async (t) => {
  const { store, prefix } = await open(t)
  await store.declare({ queue: 'foreign' })
  await sqs.send(new SendMessageCommand({ QueueUrl: await urlOf(`${prefix}foreign`), MessageBody: 'plain text' }))
  const [m] = await store.receive('foreign', { max: 1, wait: 1, owner })
  t.equal(m?.bodyJson, '"plain text"')
})

t.test('receive asks SQS for the receive count, timestamp and message attributes', async (t) => {
  const { store, prefix } = await open(t)
  await store.publish({ queue: 'attrs' }, [{ bodyJson: '{"a":1}', attrs: { k: 'v' } }])
  // Read it raw once, to see the mapping's source, then give it back.
  const raw = await sqs.send(new ReceiveMessageCommand({
    QueueUrl: await urlOf(`${prefix}attrs`), MessageAttributeNames: ['All'], VisibilityTimeout: 0,
  }))
  t.equal(raw.Messages?.[0]?.Body, '{"a":1}', 'the body travels as its JSON text')
  t.same(raw.Messages?.[0]?.MessageAttributes, { k: { DataType: 'String', StringValue: 'v' } }, 'attrs as String message attributes')
  const [m] = await store.receive('attrs', { max: 1, wait: 1, owner })
  t.same(m?.attrs, { k: 'v' })
  t.equal(m?.receives, 2)
  t.ok((m?.publishedAt ?? 0) > Date.now() - 60_000)
})

t.test('redrive refuses when several queues dead-letter into the same queue', async (t) => {
  const { store } = await open(t)
  await store.declare({ queue: 'a', maxReceives: 1, deadLetter: 'dlq' })
  await store.declare({ queue: 'b', maxReceives: 1, deadLetter: 'dlq' })
  await t.rejects(store.redrive('dlq'), { code: 'bad_request', message: /2 queues dead-letter into dlq/ })
  t.equal(await store.redrive('a'), 0, 'a queue nothing dead-letters into moves nothing')
})

t.test('messages over the SQS limit are refused before any AWS call; a dead backend is unavailable', async (t) => {
  const dead = await startFauxqs()
  const store = new SqsStore({ url: { region: REGION, endpoint: dead.endpoint, prefix: 'x-' }, ...dead.clients({ maxAttempts: 2 }) })
  await store.open()
  await dead.stop()
  t.teardown(() => store.close())
  const big = { bodyJson: JSON.stringify('x'.repeat(262_000)), attrs: { k: 'y'.repeat(200) } }
  await t.rejects(store.publish({ queue: 'q' }, [big]), { code: 'message_too_large', message: /262144/ })
  t.equal(store.healthy(), true, 'no call was made')
  const error = await store.publish({ queue: 'q' }, [{ bodyJson: '1' }]).catch((err: unknown) => err)
  t.ok(error instanceof HubqError)
  t.equal((error as HubqError).code, 'unavailable')
  t.equal(store.healthy(), false, 'unhealthy while the backend is down')
})

t.test('close does not wait for a subscription\'s long poll', async (t) => {
  const store = fauxqs.store(uniquePrefix('cl'), { subscriptionWait: 20 })
  await store.open()
  const seen: string[] = []
  await store.subscribe('q', owner, 4, (d) => seen.push(d.bodyJson))
  await new Promise((resolve) => setTimeout(resolve, 100)) // let the poll reach the server
  const started = Date.now()
  await store.close()
  t.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`)
  t.same(seen, [])
})

t.test('a closed subscription gives back what its last poll took', async (t) => {
  const { store } = await open(t)
  const seen: string[] = []
  const sub = await store.subscribe('q', owner, 4, (d) => seen.push(d.bodyJson))
  await new Promise((resolve) => setTimeout(resolve, 100)) // let the poll reach the server
  sub.close()
  await store.publish({ queue: 'q' }, [{ bodyJson: '"late"' }])
  const [m] = await store.receive('q', { max: 1, wait: 5, owner })
  t.equal(m?.bodyJson, '"late"', 'visible again for others')
  t.same(seen, [], 'never delivered by the closed subscription')
})

t.test('max-queues counts every queue under the prefix, whoever made it, and none outside it', async (t) => {
  const prefix = uniquePrefix('mq')
  const store = fauxqs.store(prefix, { maxQueues: 2 })
  await store.open()
  t.teardown(() => store.close())
  // Another process on the same prefix (a second broker, or the console) shares the limit.
  await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}theirs` }))
  await sqs.send(new CreateQueueCommand({ QueueName: `other-${prefix}elsewhere` }))
  t.same(await store.declare({ queue: 'mine' }), { created: true })
  await t.rejects(store.publish({ queue: 'more' }, [{ bodyJson: '1' }]), { code: 'limit', message: 'too many queues (max-queues 2): cannot create more' })
  t.same(await store.declare({ queue: 'theirs', visibilityTimeout: 5 }), { created: false }, 'one of theirs is found, not created')
  // The dead-letter queue a declare names is the broker's own, as on the local store.
  await store.declare({ queue: 'mine', maxReceives: 1, deadLetter: 'mine-dead' })
  t.ok(await urlOf(`${prefix}mine-dead`), 'made over the limit')
})

t.test('max-queues: concurrent first uses in one process take the last places once each', async (t) => {
  const store = fauxqs.store(uniquePrefix('mqc'), { maxQueues: 3 })
  await store.open()
  t.teardown(() => store.close())
  await store.declare({ queue: 'q0' })
  const results = await Promise.allSettled(
    ['q1', 'q2', 'q3', 'q4', 'q1'].map((queue) => store.publish({ queue }, [{ bodyJson: '1' }])),
  )
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'], 'q1 and q2 made, q1 made once')
  t.match(results[2], { reason: { code: 'limit' } })
  t.same((await store.stats()).queues.map((q) => q.queue).sort(), ['q0', 'q1', 'q2'])
})
