// SNS topics through the AWS SDK v3 SNS client (the query protocol) over real HTTP: the topics
// are hubq topics, seen through the hubq protocol over TCP.
import t from 'tap'
import {
  CreateTopicCommand, DeleteTopicCommand, GetTopicAttributesCommand, ListTagsForResourceCommand, ListTopicsCommand,
  SetTopicAttributesCommand, TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-sns'
import { startFaceBroker } from './helpers.js'
import { TestClient } from '../helpers/broker.js'

const err = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e)

t.test('CreateTopic makes a hubq topic; ARNs follow region and account; idempotent; conflicts refused', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns({ region: 'eu-west-1', accessKeyId: '123456789012' })
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders', Attributes: { DisplayName: 'Orders' }, Tags: [{ Key: 'team', Value: 'a' }] }))
  t.equal(TopicArn, 'arn:aws:sns:eu-west-1:123456789012:orders')
  const again = await sns.send(new CreateTopicCommand({ Name: 'orders', Attributes: { DisplayName: 'Orders' } }))
  t.equal(again.TopicArn, TopicArn, 'the same attributes: the same topic')
  t.match(await err(sns.send(new CreateTopicCommand({ Name: 'orders', Attributes: { DisplayName: 'Other' } }))), { name: 'InvalidParameterException', Code: 'InvalidParameter', message: /different attributes/ })
  t.match(await err(sns.send(new CreateTopicCommand({ Name: 'orders', Tags: [{ Key: 'team', Value: 'b' }] }))), { name: 'InvalidParameterException', message: /different tags/ })
  t.match(await err(sns.send(new CreateTopicCommand({ Name: 'bad name' }))), { name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } })
  t.match(await err(sns.send(new CreateTopicCommand({ Name: 'x', Attributes: { Nope: '1' } }))), { name: 'InvalidParameterException' })
  t.match(await err(sns.send(new CreateTopicCommand({ Name: 'x', Attributes: { ContentBasedDeduplication: 'true' } }))), { name: 'InvalidParameterException' }, 'a fifo attribute on a standard topic')

  const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes
  t.match(attrs, { TopicArn, Owner: '123456789012', DisplayName: 'Orders', SubscriptionsConfirmed: '0', SubscriptionsPending: '0' })
  t.match(JSON.parse(attrs?.Policy ?? '{}'), { Statement: [{ Resource: TopicArn }] })
  t.notOk(attrs?.FifoTopic, 'a standard topic has no FifoTopic attribute')
  await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: 'DisplayName', AttributeValue: 'Renamed' }))
  t.equal((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.DisplayName, 'Renamed')
  t.match(await err(sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: 'FifoTopic', AttributeValue: 'true' }))), { name: 'InvalidParameterException' })

  const fifo = await sns.send(new CreateTopicCommand({ Name: 'events.fifo', Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'true' } }))
  t.match((await sns.send(new GetTopicAttributesCommand({ TopicArn: fifo.TopicArn }))).Attributes, { FifoTopic: 'true', ContentBasedDeduplication: 'true' })
  t.match(await err(sns.send(new CreateTopicCommand({ Name: 'plain', Attributes: { FifoTopic: 'true' } }))), { name: 'InvalidParameterException', message: /\.fifo/ })

  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const stats = await c.request({ op: 'stats', id: 1 })
  t.same(stats.topics.map((x: { topic: string }) => x.topic), ['events.fifo', 'orders'], 'the hubq protocol sees the same topics')
  await c.request({ op: 'topic', id: 2, topic: 'made-over-tcp' })
  const listed = await sns.send(new ListTopicsCommand({}))
  t.same(listed.Topics?.map((x) => x.TopicArn?.split(':').pop()), ['events.fifo', 'made-over-tcp', 'orders'], 'and SNS sees a topic made over TCP')
})

t.test('ListTopics pages by 100 with NextToken; DeleteTopic removes the topic and is idempotent', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const names = Array.from({ length: 103 }, (_, i) => `t${String(i).padStart(3, '0')}`)
  for (const Name of names) await sns.send(new CreateTopicCommand({ Name }))
  const first = await sns.send(new ListTopicsCommand({}))
  t.equal(first.Topics?.length, 100)
  t.ok(first.NextToken)
  const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }))
  t.same([...(first.Topics ?? []), ...(second.Topics ?? [])].map((x) => x.TopicArn?.split(':').pop()), names)
  t.notOk(second.NextToken)

  const TopicArn = 'arn:aws:sns:us-east-1:000000000000:t000'
  await sns.send(new DeleteTopicCommand({ TopicArn }))
  await sns.send(new DeleteTopicCommand({ TopicArn }))
  t.pass('deleting a deleted topic succeeds, as on SNS')
  t.match(await err(sns.send(new GetTopicAttributesCommand({ TopicArn }))), { name: 'NotFoundException', Code: 'NotFound', $metadata: { httpStatusCode: 404 } })
  const after = await sns.send(new ListTopicsCommand({}))
  t.notOk(after.Topics?.some((x) => x.TopicArn === TopicArn))
  const tcp = await TestClient.connect(b.port)
  t.teardown(() => tcp.close())
  const stats = await tcp.request({ op: 'stats' })
  t.notOk(stats.topics.some((x: { topic: string }) => x.topic === 't000'), 'the hubq topic itself is gone: hubq stats does not list it')
  t.equal((await tcp.request({ op: 'publish', topic: 't000', body: 1 })).error?.code, 'not_found', 'and a publish to it is not_found')
  t.match(await err(sns.send(new GetTopicAttributesCommand({ TopicArn: 'not-an-arn' }))), { name: 'InvalidParameterException' })
  const made = await sns.send(new CreateTopicCommand({ Name: 't000' }))
  t.equal((await sns.send(new GetTopicAttributesCommand({ TopicArn: made.TopicArn }))).Attributes?.TopicArn, TopicArn, 'CreateTopic brings it back')
})

t.test('TagResource, UntagResource, ListTagsForResource', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'tagged', Tags: [{ Key: 'team', Value: 'a' }] }))
  await sns.send(new TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'b' }] }))
  const tags = (await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags
  t.same(Object.fromEntries((tags ?? []).map((x) => [x.Key, x.Value])), { team: 'b', env: 'dev' })
  await sns.send(new UntagResourceCommand({ ResourceArn: TopicArn, TagKeys: ['team'] }))
  t.same((await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags, [{ Key: 'env', Value: 'dev' }])
  const missing = await err(sns.send(new ListTagsForResourceCommand({ ResourceArn: 'arn:aws:sns:us-east-1:000000000000:none' })))
  t.match(missing, { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } })
})
