// The SQS face's message actions through the AWS SDK v3 over real HTTP, with its checksum
// validation on (the SDK default), and the same queues seen through the hubq protocol over TCP.
import t from 'tap'
import {
  ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageBatchCommand,
  DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand,
} from '@aws-sdk/client-sqs'
import { createHash } from 'node:crypto'
import { startFaceBroker } from './helpers.js'
import { TestClient } from '../helpers/broker.js'

/** Polls `condition` until it holds (a deadline of 5 s): for states with no event to wait on. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in 5 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex')

t.test('SendMessage, ReceiveMessage, DeleteMessage: checksums, attributes of every type, counts', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs' }))
  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: 'héllo',
    MessageAttributes: {
      kind: { DataType: 'String', StringValue: 'image' },
      size: { DataType: 'Number', StringValue: '42.5' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
      custom: { DataType: 'String.uuid', StringValue: 'abc' },
    },
  }))
  t.equal(sent.MD5OfMessageBody, md5('héllo'))
  t.match(sent.MD5OfMessageAttributes, /^[0-9a-f]{32}$/)
  t.match(sent.MessageId, /^[0-9a-f-]{36}$/)
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }))
  t.equal(got.Messages?.length, 1)
  const m = got.Messages?.[0]
  t.equal(m?.Body, 'héllo')
  t.equal(m?.MessageId, sent.MessageId)
  t.equal(m?.MD5OfMessageAttributes, sent.MD5OfMessageAttributes, 'the same attributes checksum on the way out')
  t.same(m?.MessageAttributes?.kind, { DataType: 'String', StringValue: 'image' })
  t.same(m?.MessageAttributes?.size, { DataType: 'Number', StringValue: '42.5' })
  t.same(m?.MessageAttributes?.custom, { DataType: 'String.uuid', StringValue: 'abc' })
  t.same([...(m?.MessageAttributes?.blob?.BinaryValue ?? [])], [0, 1, 2, 255])
  t.equal(m?.Attributes?.ApproximateReceiveCount, '1')
  t.match(m?.Attributes?.SentTimestamp, /^\d{13}$/)
  const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }))
  t.equal(counts.Attributes?.ApproximateNumberOfMessagesNotVisible, '1')
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m?.ReceiptHandle }))
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m?.ReceiptHandle }))
  t.pass('deleting an already deleted message succeeds, as on SQS')
  const after = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))
  t.equal(after.Attributes?.ApproximateNumberOfMessages, '0')
  t.equal(after.Attributes?.ApproximateNumberOfMessagesNotVisible, '0')
  const only = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '1' }, b: { DataType: 'String', StringValue: '2' } } }))
  const some = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['a'] }))
  t.same(Object.keys(some.Messages?.[0]?.MessageAttributes ?? {}), ['a'], 'only the attributes asked for')
  t.not(some.Messages?.[0]?.MD5OfMessageAttributes, only.MD5OfMessageAttributes, 'the checksum covers what is returned')
})

t.test('one queue, two faces: SQS sends reach hubq consumers and hubq publishes reach SQS readers', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'both' }))
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"not":"parsed"}', MessageAttributes: { n: { DataType: 'Number', StringValue: '7' } } }))
  const hubq = await c.request({ op: 'receive', id: 1, queue: 'both' })
  t.equal(hubq.messages[0].body, '{"not":"parsed"}', 'an SQS body is a JSON string to hubq')
  t.equal(hubq.messages[0].attrs.n, '7')
  t.same(JSON.parse(hubq.messages[0].attrs['AWS.DataTypes']), { n: 'Number' })
  t.equal((await c.request({ op: 'ack', id: 2, receipt: hubq.messages[0].receipt })).acked, 1)

  await c.request({ op: 'publish', id: 3, queue: 'both', body: { order: 17, items: [1, 2] }, attrs: { region: 'eu' } })
  await c.request({ op: 'publish', id: 4, queue: 'both', body: 'plain text' })
  await c.request({ op: 'publish', id: 5, queue: 'both', body: null })
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }))
  t.same(got.Messages?.map((m) => m.Body), ['{"order":17,"items":[1,2]}', 'plain text', 'null'])
  t.same(got.Messages?.[0]?.MessageAttributes, { region: { DataType: 'String', StringValue: 'eu' } })
  const hubqAck = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.Messages?.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })) }))
  t.equal(hubqAck.Successful?.length, 3)
  const stats = await c.request({ op: 'stats', id: 6, queue: 'both' })
  t.match(stats.queues[0], { ready: 0, inflight: 0, published: 4, acked: 4 })
})

t.test('SendMessageBatch: per-entry failures, batch-wide errors, nothing half-applied', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'batch' }))
  const res = await sqs.send(new SendMessageBatchCommand({
    QueueUrl,
    Entries: [
      { Id: 'a', MessageBody: 'one' },
      { Id: 'b', MessageBody: 'two', DelaySeconds: 901 },
      { Id: 'c', MessageBody: 'three', MessageAttributes: { bad: { DataType: 'Number', StringValue: 'x' } } },
      { Id: 'd', MessageBody: 'four' },
    ],
  }))
  t.same(res.Successful?.map((s) => s.Id), ['a', 'd'])
  t.equal(res.Successful?.[0]?.MD5OfMessageBody, md5('one'))
  t.same(res.Failed?.map((f) => [f.Id, f.Code, f.SenderFault]), [['b', 'InvalidParameterValue', true], ['c', 'InvalidParameterValue', true]])
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))
  t.equal(attrs.Attributes?.ApproximateNumberOfMessages, '2', 'only the successful entries were stored')
  const err = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e)
  t.match(await err(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] }))), { name: 'EmptyBatchRequest', Code: 'AWS.SimpleQueueService.EmptyBatchRequest' })
  const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' }))
  t.match(await err(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: eleven }))), { name: 'TooManyEntriesInBatchRequest' })
  t.match(await err(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'x', MessageBody: '1' }, { Id: 'x', MessageBody: '2' }] }))), { name: 'BatchEntryIdsNotDistinct' })
  t.match(await err(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'no spaces', MessageBody: '1' }] }))), { name: 'InvalidBatchEntryId' })
  const big = 'x'.repeat(100_000)
  t.match(await err(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [1, 2, 3].map((i) => ({ Id: `b${i}`, MessageBody: big })) }))), { name: 'BatchRequestTooLong' })
  t.match(await err(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'bad \u0001 char' }))), { name: 'InvalidMessageContents' })
  t.match(await err(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'y'.repeat(262_145) }))), { name: 'InvalidParameterValue', message: /shorter than 262144 bytes/ })
  const after = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))
  t.equal(after.Attributes?.ApproximateNumberOfMessages, '2', 'no refused request stored anything')
})

t.test('visibility: expiry makes a message visible again and spends its receipt; ChangeMessageVisibility', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'vis' }))
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }))
  const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 1 }))
  const handle = first.Messages?.[0]?.ReceiptHandle
  t.notOk((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.length, 'invisible while in flight')
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))
  t.equal(again.Messages?.[0]?.Body, 'a', 'visible again after its timeout')
  t.equal(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount, '2')
  const stale = await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: handle, VisibilityTimeout: 10 })).catch((e: unknown) => e)
  t.match(stale, { name: 'InvalidParameterValue', message: /not available for visibility timeout change/ }, 'the first receipt is spent')
  const live = again.Messages?.[0]?.ReceiptHandle
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: live, VisibilityTimeout: 0 }))
  const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl }))
  t.equal(third.Messages?.[0]?.Body, 'a', 'visibility 0 releases it at once')
  const batch = await sqs.send(new ChangeMessageVisibilityBatchCommand({
    QueueUrl, Entries: [{ Id: 'ok', ReceiptHandle: third.Messages?.[0]?.ReceiptHandle, VisibilityTimeout: 60 }, { Id: 'bad', ReceiptHandle: 'garbage!', VisibilityTimeout: 60 }],
  }))
  t.same(batch.Successful?.map((s) => s.Id), ['ok'])
  t.same(batch.Failed?.map((f) => [f.Id, f.Code]), [['bad', 'ReceiptHandleIsInvalid']])
  const invalid = await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'not-a-handle' })).catch((e: unknown) => e)
  t.match(invalid, { name: 'ReceiptHandleIsInvalid', $metadata: { httpStatusCode: 404 } })
})

t.test('redrive: past maxReceiveCount a message moves to the dead-letter queue', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const dead = await sqs.send(new CreateQueueCommand({ QueueName: 'dlq' }))
  const deadArn = `arn:aws:sqs:us-east-1:000000000000:dlq`
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'src', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadArn, maxReceiveCount: 2 }) } }))
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }))
  for (let i = 1; i <= 2; i++) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }))
    t.equal(got.Messages?.[0]?.Body, 'poison', `delivery ${i}`)
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: got.Messages?.[0]?.ReceiptHandle, VisibilityTimeout: 0 }))
  }
  t.notOk((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.length)
  const moved = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dead.QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))
  t.equal(moved.Messages?.[0]?.Body, 'poison')
})

t.test('long polls wait for a send, and end when the broker stops', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'poll' }))
  const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }))
  const sender = b.sqs()
  await sender.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' }))
  t.equal((await waiting).Messages?.[0]?.Body, 'late')
  const started = Date.now()
  const parked = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }))
  await until(() => b.broker.sqsFace?.polls === 1)
  await b.stop()
  const res = await parked
  t.notOk(res.Messages?.length, 'answered empty')
  t.ok(Date.now() - started < 10_000, 'at once, not after 20 s')
})

t.test('raw errors: unknown action, malformed JSON, oversize body', async (t) => {
  const b = await startFaceBroker(t)
  const post = (target: string, body: string): Promise<Response> => fetch(b.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target }, body })
  const unknown = await post('AmazonSQS.Nope', '{}')
  t.equal(unknown.status, 400)
  t.match(await unknown.json(), { __type: /UnknownOperationException$/ })
  const bad = await post('AmazonSQS.ListQueues', '{not json')
  t.equal(bad.status, 400)
  t.match(await bad.json(), { __type: /SerializationException$/ })
  const missing = await post('AmazonSQS.GetQueueUrl', '{}')
  t.equal(missing.headers.get('x-amzn-query-error'), 'MissingParameter;Sender')
  t.match(await missing.json(), { __type: 'com.amazonaws.sqs#MissingParameter', message: /QueueName/ })
  const huge = await post('AmazonSQS.ListQueues', 'x'.repeat(3 * 1024 * 1024)).catch((e: unknown) => e)
  if (huge instanceof Response) t.equal(huge.status, 413)
  else t.pass('the connection was closed on the oversize body')
  const after = await post('AmazonSQS.ListQueues', '{}')
  t.equal(after.status, 200, 'the face still serves')
})

t.test('MD5OfMessageAttributes agrees with another SQS implementation (fauxqs) for every data type', async (t) => {
  const { startFauxqs } = await import('../helpers/fauxqs.js')
  const other = await startFauxqs()
  t.teardown(() => other.stop())
  const b = await startFaceBroker(t)
  const input = {
    MessageBody: 'body',
    MessageAttributes: {
      zeta: { DataType: 'String', StringValue: 'ünïcode' },
      alpha: { DataType: 'Number', StringValue: '-1.5e3' },
      bin: { DataType: 'Binary', BinaryValue: new Uint8Array([9, 8, 7]) },
      typed: { DataType: 'Number.int', StringValue: '12' },
    },
  }
  const ours = b.sqs()
  const theirs = other.clients().sqs
  const q1 = await ours.send(new CreateQueueCommand({ QueueName: 'md5' }))
  const q2 = await theirs.send(new CreateQueueCommand({ QueueName: 'md5' }))
  const a = await ours.send(new SendMessageCommand({ QueueUrl: q1.QueueUrl, ...input }))
  const c = await theirs.send(new SendMessageCommand({ QueueUrl: q2.QueueUrl, ...input }))
  t.equal(a.MD5OfMessageAttributes, c.MD5OfMessageAttributes)
})
