// The SQS face's queue actions through the AWS SDK v3 (AWS JSON 1.0) over real HTTP.
import t from 'tap'
import {
  CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand,
  PurgeQueueCommand, SendMessageCommand, SetQueueAttributesCommand, TagQueueCommand, UntagQueueCommand, ListQueueTagsCommand,
  ListDeadLetterSourceQueuesCommand,
} from '@aws-sdk/client-sqs'
import { startFaceBroker } from './helpers.js'
import { TestClient } from '../helpers/broker.js'

t.test('CreateQueue makes a hubq queue; URLs and ARNs follow Host, region and account', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs({ region: 'eu-west-1', accessKeyId: '123456789012' })
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs', Attributes: { VisibilityTimeout: '45' } }))
  t.equal(QueueUrl, `${b.endpoint}/123456789012/jobs`)
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))
  t.equal(attrs.Attributes?.QueueArn, 'arn:aws:sqs:eu-west-1:123456789012:jobs')
  t.equal(attrs.Attributes?.VisibilityTimeout, '45')
  t.equal(attrs.Attributes?.DelaySeconds, '0')
  t.equal(attrs.Attributes?.MaximumMessageSize, '262144')
  t.equal(attrs.Attributes?.MessageRetentionPeriod, '345600')
  t.equal(attrs.Attributes?.ApproximateNumberOfMessages, '0')
  t.match(attrs.Attributes?.CreatedTimestamp, /^\d{10}$/)
  t.notOk(attrs.Attributes?.FifoQueue, 'a standard queue has no FifoQueue attribute')
  const one = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout'] }))
  t.same(one.Attributes, { VisibilityTimeout: '45' })

  // The hubq protocol sees the same queue.
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const stats = await c.request({ op: 'stats', id: 1, queue: 'jobs' })
  t.equal(stats.ok, true)
  t.equal(stats.queues[0].queue, 'jobs')
  const other = b.sqs()
  t.equal((await other.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl, `${b.endpoint}/000000000000/jobs`, 'account 000000000000 for a key that is not 12 digits')
})

t.test('CreateQueue is idempotent; a different attribute value is QueueAlreadyExists', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const first = await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { DelaySeconds: '5' } }))
  const again = await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { DelaySeconds: '5' } }))
  t.equal(again.QueueUrl, first.QueueUrl)
  const plain = await sqs.send(new CreateQueueCommand({ QueueName: 'q' }))
  t.equal(plain.QueueUrl, first.QueueUrl, 'no attributes given: nothing to conflict')
  const err = await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { DelaySeconds: '6' } })).catch((e: unknown) => e)
  t.match(err, { name: 'QueueNameExists', Code: 'QueueAlreadyExists', $metadata: { httpStatusCode: 400 } })
  const bad = await sqs.send(new CreateQueueCommand({ QueueName: 'q', Attributes: { Nope: '1' } as Record<string, string> })).catch((e: unknown) => e)
  t.match(bad, { name: 'InvalidAttributeName' })
  const range = await sqs.send(new CreateQueueCommand({ QueueName: 'r', Attributes: { VisibilityTimeout: '43201' } })).catch((e: unknown) => e)
  t.match(range, { name: 'InvalidAttributeValue' })
  const name = await sqs.send(new CreateQueueCommand({ QueueName: 'bad name' })).catch((e: unknown) => e)
  t.match(name, { name: 'InvalidParameterValue' })
})

t.test('ListQueues: prefix and pagination', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  for (const n of ['a1', 'a2', 'a3', 'b1']) await sqs.send(new CreateQueueCommand({ QueueName: n }))
  const all = await sqs.send(new ListQueuesCommand({}))
  t.same(all.QueueUrls?.map((u) => u.split('/').pop()), ['a1', 'a2', 'a3', 'b1'])
  t.notOk(all.NextToken)
  const page1 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'a', MaxResults: 2 }))
  t.same(page1.QueueUrls?.map((u) => u.split('/').pop()), ['a1', 'a2'])
  t.ok(page1.NextToken)
  const page2 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'a', MaxResults: 2, NextToken: page1.NextToken }))
  t.same(page2.QueueUrls?.map((u) => u.split('/').pop()), ['a3'])
  t.notOk(page2.NextToken)
  const none = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'zz' }))
  t.notOk(none.QueueUrls?.length)
})

t.test('DeleteQueue, PurgeQueue and QueueDoesNotExist', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'gone' }))
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))
  await sqs.send(new PurgeQueueCommand({ QueueUrl }))
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))
  t.same(attrs.Attributes, { ApproximateNumberOfMessages: '0' })
  await sqs.send(new DeleteQueueCommand({ QueueUrl }))
  const err = await sqs.send(new GetQueueUrlCommand({ QueueName: 'gone' })).catch((e: unknown) => e)
  t.match(err, { name: 'QueueDoesNotExist', Code: 'AWS.SimpleQueueService.NonExistentQueue', $metadata: { httpStatusCode: 400 } })
  const send = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })).catch((e: unknown) => e)
  t.match(send, { name: 'QueueDoesNotExist' }, 'a send does not bring a deleted queue back')
})

t.test('SetQueueAttributes changes the hubq queue; RedrivePolicy and ListDeadLetterSourceQueues', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const dead = await sqs.send(new CreateQueueCommand({ QueueName: 'dead' }))
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work' }))
  const deadArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dead.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn
  const policy = JSON.stringify({ deadLetterTargetArn: deadArn, maxReceiveCount: 3 })
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: policy, VisibilityTimeout: '7' } }))
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }))
  t.same(JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}'), { deadLetterTargetArn: deadArn, maxReceiveCount: 3 })
  t.equal(attrs.Attributes?.VisibilityTimeout, '7')
  const sources = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dead.QueueUrl }))
  t.same(sources.queueUrls, [QueueUrl])
  const missing = JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope', maxReceiveCount: 3 })
  const err = await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: missing } })).catch((e: unknown) => e)
  t.match(err, { name: 'InvalidAttributeValue', message: /Dead letter target does not exist/ })
  const fifo = await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { FifoQueue: 'true' } })).catch((e: unknown) => e)
  t.match(fifo, { name: 'InvalidAttributeName' })
})

t.test('TagQueue, UntagQueue, ListQueueTags, and tags on CreateQueue', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'tagged', tags: { team: 'a' } }))
  await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: 'dev', team: 'b' } }))
  t.same((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { team: 'b', env: 'dev' })
  await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['team'] }))
  t.same((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { env: 'dev' })
})

t.test('with auth on the face serves, and a key that is no token\'s name is refused (test/face/sqs-auth.test.ts has the rest)', async (t) => {
  const { authSettings } = await import('../../broker/auth/setup.js')
  const b = await startFaceBroker(t, { auth: authSettings({ token: 'secret-token-1' }, 10_000) as NonNullable<Parameters<typeof startFaceBroker>[1]>['auth'] })
  t.ok(b.broker.sqsAddress)
  t.match(await b.sqs().send(new ListQueuesCommand({})).catch((e: unknown) => e), { name: 'InvalidClientTokenId' })
})
