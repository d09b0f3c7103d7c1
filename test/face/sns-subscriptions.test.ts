// SNS subscriptions through the AWS SDK v3 over real HTTP: `sqs` subscriptions to this server's
// queues, over hubq bindings (a raw subscription with an exact filter is the store's binding).
import t from 'tap'
import {
  CreateTopicCommand, GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, ListSubscriptionsCommand,
  SetSubscriptionAttributesCommand, SubscribeCommand, UnsubscribeCommand,
} from '@aws-sdk/client-sns'
import { CreateQueueCommand } from '@aws-sdk/client-sqs'
import { startFaceBroker } from './helpers.js'
import { TestClient } from '../helpers/broker.js'

const err = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e)
const queueArn = (name: string): string => `arn:aws:sqs:us-east-1:000000000000:${name}`

t.test('Subscribe: raw with an exact filter is a hubq binding; non-raw and operator filters are not', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const sqs = b.sqs()
  for (const QueueName of ['raw', 'wrapped', 'ranged']) await sqs.send(new CreateQueueCommand({ QueueName }))
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders' }))
  const raw = await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: queueArn('raw'), ReturnSubscriptionArn: true,
    Attributes: { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ region: ['eu', 'uk'] }) },
  }))
  t.match(raw.SubscriptionArn, /^arn:aws:sns:us-east-1:000000000000:orders:[0-9a-f-]{36}$/)
  const wrapped = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn('wrapped') }))
  await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: queueArn('ranged'),
    Attributes: { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ n: [{ numeric: ['>', 5] }] }) },
  }))
  const again = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn('wrapped') }))
  t.equal(again.SubscriptionArn, wrapped.SubscriptionArn, 'subscribing again answers the same subscription')
  t.match(await err(sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn('wrapped'), Attributes: { RawMessageDelivery: 'true' } }))),
    { name: 'InvalidParameterException', message: /different attributes/ })

  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const stats = await c.request({ op: 'stats', id: 1 })
  t.same(stats.topics, [{ topic: 'orders', bindings: [{ queue: 'raw', filter: { region: ['eu', 'uk'] } }] }], 'only the raw, exactly filtered subscription is a binding')

  const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: raw.SubscriptionArn }))).Attributes
  t.match(attrs, {
    SubscriptionArn: raw.SubscriptionArn, TopicArn, Protocol: 'sqs', Endpoint: queueArn('raw'), Owner: '000000000000',
    RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ region: ['eu', 'uk'] }), FilterPolicyScope: 'MessageAttributes', PendingConfirmation: 'false',
  })
  // Switching to the envelope takes the binding away; back to raw without a filter brings it back.
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: raw.SubscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'false' }))
  t.same((await c.request({ op: 'stats', id: 2 })).topics[0].bindings, [])
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: raw.SubscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'true' }))
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: raw.SubscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: '' }))
  t.same((await c.request({ op: 'stats', id: 3 })).topics[0].bindings, [{ queue: 'raw' }])
  t.notOk((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: raw.SubscriptionArn }))).Attributes?.FilterPolicy)

  const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))
  t.same(listed.Subscriptions?.map((s) => s.Endpoint), [queueArn('ranged'), queueArn('raw'), queueArn('wrapped')])
  t.match(listed.Subscriptions?.[0], { Protocol: 'sqs', TopicArn, Owner: '000000000000' })
  await sns.send(new UnsubscribeCommand({ SubscriptionArn: raw.SubscriptionArn }))
  t.same((await c.request({ op: 'stats', id: 4 })).topics[0].bindings, [], 'Unsubscribe unbinds')
  t.match(await err(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: raw.SubscriptionArn }))), { name: 'NotFoundException', $metadata: { httpStatusCode: 404 } })
  t.match(await err(sns.send(new UnsubscribeCommand({ SubscriptionArn: raw.SubscriptionArn }))), { name: 'NotFoundException' })
})

t.test('Subscribe refuses what hubq cannot deliver, and a bad filter policy', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const sqs = b.sqs()
  await sqs.send(new CreateQueueCommand({ QueueName: 'q' }))
  await sqs.send(new CreateQueueCommand({ QueueName: 'q.fifo', Attributes: { FifoQueue: 'true' } }))
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'news' }))
  const bad = (input: Record<string, unknown>): Promise<unknown> => err(sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn('q'), ...input })))
  t.match(await bad({ Protocol: 'https', Endpoint: 'https://example.com/' }), { name: 'InvalidParameterException', message: /sqs/ })
  t.match(await bad({ Endpoint: 'arn:aws:sqs:us-east-1:000000000000:missing' }), { name: 'InvalidParameterException', message: /does not exist/ })
  t.match(await bad({ Endpoint: 'not-an-arn' }), { name: 'InvalidParameterException' })
  t.match(await bad({ Endpoint: queueArn('q.fifo') }), { name: 'InvalidParameterException', message: /FIFO/ })
  t.match(await bad({ Attributes: { FilterPolicy: '{not json' } }), { name: 'InvalidParameterException', message: /FilterPolicy/ })
  t.match(await bad({ Attributes: { FilterPolicy: JSON.stringify({ a: [{ between: [1, 2] }] }) } }), { name: 'InvalidParameterException', message: /FilterPolicy/ })
  t.match(await bad({ Attributes: { FilterPolicy: JSON.stringify({ a: { b: ['x'] } }) } }), { name: 'InvalidParameterException', message: /MessageBody/ }, 'nested keys need the MessageBody scope')
  t.match(await bad({ Attributes: { Nope: 'x' } }), { name: 'InvalidParameterException' })
  t.match(await err(sns.send(new SubscribeCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:none', Protocol: 'sqs', Endpoint: queueArn('q') }))), { name: 'NotFoundException' })
  const nested = await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: queueArn('q'),
    Attributes: { FilterPolicy: JSON.stringify({ a: { b: ['x'] } }), FilterPolicyScope: 'MessageBody' },
  }))
  t.ok(nested.SubscriptionArn, 'a nested policy with the MessageBody scope, in either order of attributes')
})

t.test('a binding made over TCP is a raw subscription; ListSubscriptions pages by 100', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'topic', id: 1, topic: 'feed' })
  await c.request({ op: 'bind', id: 2, topic: 'feed', queue: 'tcp-q', filter: { kind: ['a'] } })
  const [sub] = (await sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? []
  t.match(sub, { TopicArn: 'arn:aws:sns:us-east-1:000000000000:feed', Endpoint: queueArn('tcp-q'), Protocol: 'sqs' })
  const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub?.SubscriptionArn }))).Attributes
  t.match(attrs, { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ kind: ['a'] }) })

  const sqs = b.sqs()
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'many' }))
  for (let i = 0; i < 101; i++) {
    const QueueName = `m${String(i).padStart(3, '0')}`
    await sqs.send(new CreateQueueCommand({ QueueName }))
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn(QueueName) }))
  }
  const first = await sns.send(new ListSubscriptionsCommand({}))
  t.equal(first.Subscriptions?.length, 100)
  const second = await sns.send(new ListSubscriptionsCommand({ NextToken: first.NextToken }))
  t.equal(second.Subscriptions?.length, 2)
  t.notOk(second.NextToken)
  const all = [...(first.Subscriptions ?? []), ...(second.Subscriptions ?? [])]
  t.equal(new Set(all.map((s) => s.SubscriptionArn)).size, 102, 'every subscription once')
  const byTopic = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))
  t.equal(byTopic.Subscriptions?.length, 100)
  t.ok(byTopic.NextToken)
})
