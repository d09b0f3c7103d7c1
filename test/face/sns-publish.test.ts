// SNS Publish and PublishBatch through the AWS SDK v3 over real HTTP, received through the SQS
// face (its checksum validation on) and through the hubq protocol over TCP: raw and enveloped
// deliveries on one topic, filter policies, FIFO topics, errors.
import t from 'tap'
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns'
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs'
import { startFaceBroker } from './helpers.js'
import { TestClient } from '../helpers/broker.js'

const err = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e)
const queueArn = (name: string): string => `arn:aws:sqs:us-east-1:000000000000:${name}`

/** Everything ready in the queue now (up to 50), attributes included. */
async function drain(sqs: SQSClient, endpoint: string, queue: string): Promise<Message[]> {
  const out: Message[] = []
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${endpoint}/000000000000/${queue}`, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }))
    if (!got.Messages?.length) return out
    out.push(...got.Messages)
    if (out.length >= 50) return out
  }
}

/** A fifo queue read to its end: each receive's messages deleted before the next, so every group moves on. */
async function drainFifo(sqs: SQSClient, QueueUrl: string): Promise<Message[]> {
  const out: Message[] = []
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId'] }))
    if (!got.Messages?.length) return out
    out.push(...got.Messages)
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }))
  }
}

async function subscribed(sns: SNSClient, sqs: SQSClient, TopicArn: string, queue: string, attributes: Record<string, string> = {}): Promise<string> {
  await sqs.send(new CreateQueueCommand({ QueueName: queue, ...(queue.endsWith('.fifo') ? { Attributes: { FifoQueue: 'true' } } : {}) }))
  const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn(queue), Attributes: attributes }))
  return SubscriptionArn as string
}

t.test('one topic, a raw and an enveloped subscription: each gets SNS\'s delivery, through SQS and through TCP', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const sqs = b.sqs()
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders' }))
  await subscribed(sns, sqs, TopicArn as string, 'raw', { RawMessageDelivery: 'true' })
  const wrappedArn = await subscribed(sns, sqs, TopicArn as string, 'wrapped')
  const sent = await sns.send(new PublishCommand({
    TopicArn, Message: 'order <17> & co', Subject: 'New order',
    MessageAttributes: {
      region: { DataType: 'String', StringValue: 'eu' },
      total: { DataType: 'Number', StringValue: '42.5' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    },
  }))
  t.match(sent.MessageId, /^[0-9a-f-]{36}$/)
  t.notOk(sent.SequenceNumber, 'a standard topic has no SequenceNumber')

  const [raw] = await drain(sqs, b.endpoint, 'raw')
  t.equal(raw?.Body, 'order <17> & co', 'raw: the message as it is')
  t.equal(raw?.MessageId, sent.MessageId, 'the binding\'s copy carries the SNS MessageId')
  t.same(raw?.MessageAttributes?.region, { DataType: 'String', StringValue: 'eu' })
  t.same(raw?.MessageAttributes?.total, { DataType: 'Number', StringValue: '42.5' })
  t.same([...(raw?.MessageAttributes?.blob?.BinaryValue ?? [])], [1, 2, 3])

  const [wrapped] = await drain(sqs, b.endpoint, 'wrapped')
  t.notOk(wrapped?.MessageAttributes, 'an enveloped delivery has no SQS message attributes, as on SNS')
  const envelope = JSON.parse(wrapped?.Body ?? '{}') as Record<string, unknown>
  t.same(Object.keys(envelope), ['Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL', 'UnsubscribeURL', 'MessageAttributes'], 'SNS\'s fields in SNS\'s order')
  t.match(envelope, {
    Type: 'Notification', MessageId: sent.MessageId, TopicArn, Subject: 'New order', Message: 'order <17> & co',
    SignatureVersion: '1', Signature: /^[A-Za-z0-9+/]+=*$/, SigningCertURL: /^http:\/\/127\.0\.0\.1:\d+\//,
    UnsubscribeURL: `${b.endpoint}/?Action=Unsubscribe&SubscriptionArn=${wrappedArn}`,
  })
  t.match(envelope.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.same(envelope.MessageAttributes, {
    region: { Type: 'String', Value: 'eu' },
    total: { Type: 'Number', Value: '42.5' },
    blob: { Type: 'Binary', Value: Buffer.from([1, 2, 3]).toString('base64') },
  })
  const plain = await sns.send(new PublishCommand({ TopicArn, Message: 'no subject' }))
  const [second] = await drain(sqs, b.endpoint, 'wrapped')
  const noSubject = JSON.parse(second?.Body ?? '{}') as Record<string, unknown>
  t.equal(noSubject.MessageId, plain.MessageId)
  t.notOk('Subject' in noSubject || 'MessageAttributes' in noSubject, 'no Subject and no MessageAttributes when none were given')
  await drain(sqs, b.endpoint, 'raw')

  // The unsubscribe URL works: a GET on the face.
  const unsub = await fetch(envelope.UnsubscribeURL as string)
  t.equal(unsub.status, 200)

  // Through the hubq protocol: an SNS publish reaches a TCP consumer of the raw queue, and a TCP
  // publish to the topic reaches the raw subscription's SQS reader.
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await sns.send(new PublishCommand({ TopicArn, Message: 'to tcp', MessageAttributes: { region: { DataType: 'String', StringValue: 'uk' } } }))
  const got = await c.request({ op: 'receive', id: 1, queue: 'raw', max: 10 })
  t.equal(got.messages.length, 1)
  t.equal(got.messages[0].body, 'to tcp')
  t.equal(got.messages[0].attrs.region, 'uk')
  await c.request({ op: 'publish', id: 2, topic: 'orders', body: { order: 18 }, attrs: { region: 'fr' } })
  const [fromTcp] = await drain(sqs, b.endpoint, 'raw')
  t.equal(fromTcp?.Body, '{"order":18}')
  t.same(fromTcp?.MessageAttributes?.region, { DataType: 'String', StringValue: 'fr' })
})

t.test('filter policies: exact (a binding), prefix, suffix, anything-but, numeric, exists, equals-ignore-case, $or, MessageBody', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const sqs = b.sqs()
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'events' }))
  const policies: Record<string, unknown> = {
    exact: { color: ['red', 'blue'] },
    prefix: { color: [{ prefix: 'gr' }] },
    suffix: { color: [{ suffix: 'ue' }] },
    notred: { color: [{ 'anything-but': ['red'] }] },
    range: { size: [{ numeric: ['>', 10, '<=', 20] }] },
    equal: { size: [5] },
    exists: { size: [{ exists: true }] },
    absent: { size: [{ exists: false }] },
    icase: { color: [{ 'equals-ignore-case': 'RED' }] },
    either: { $or: [{ color: ['green'] }, { size: [{ numeric: ['<', 0] }] }] },
  }
  for (const [queue, policy] of Object.entries(policies)) {
    await subscribed(sns, sqs, TopicArn as string, queue, { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify(policy) })
  }
  await subscribed(sns, sqs, TopicArn as string, 'body', { RawMessageDelivery: 'true', FilterPolicyScope: 'MessageBody', FilterPolicy: JSON.stringify({ order: { state: ['paid'], total: [{ numeric: ['>=', 100] }] } }) })
  await subscribed(sns, sqs, TopicArn as string, 'wrapped-exact', { FilterPolicy: JSON.stringify({ color: ['red'] }) })

  const messages: [string, Record<string, { DataType: string; StringValue: string }>][] = [
    ['red', { color: { DataType: 'String', StringValue: 'red' } }],
    ['blue-12', { color: { DataType: 'String', StringValue: 'blue' }, size: { DataType: 'Number', StringValue: '12' } }],
    ['green-5', { color: { DataType: 'String', StringValue: 'green' }, size: { DataType: 'Number', StringValue: '5' } }],
    ['none', {}],
    ['neg', { size: { DataType: 'Number', StringValue: '-3' } }],
  ]
  for (const [Message, MessageAttributes] of messages) await sns.send(new PublishCommand({ TopicArn, Message, MessageAttributes }))
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { state: 'paid', total: 150 } }) }))
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { state: 'paid', total: 50 } }) }))
  await sns.send(new PublishCommand({ TopicArn, Message: 'not json' }))

  const bodies = async (queue: string): Promise<string[]> => (await drain(sqs, b.endpoint, queue)).map((m) => m.Body as string).sort()
  t.same(await bodies('exact'), ['blue-12', 'red'])
  t.same(await bodies('prefix'), ['green-5'])
  t.same(await bodies('suffix'), ['blue-12'])
  t.same(await bodies('notred'), ['blue-12', 'green-5'], 'anything-but needs the attribute')
  t.same(await bodies('range'), ['blue-12'])
  t.same(await bodies('equal'), ['green-5'])
  t.same(await bodies('exists'), ['blue-12', 'green-5', 'neg'])
  t.same((await bodies('absent')).length, 5, 'exists false: the red one, the one without attributes and the three JSON bodies')
  t.same(await bodies('icase'), ['red'])
  t.same(await bodies('either'), ['green-5', 'neg'])
  t.same(await bodies('body'), [JSON.stringify({ order: { state: 'paid', total: 150 } })])
  const wrapped = await drain(sqs, b.endpoint, 'wrapped-exact')
  t.same(wrapped.map((m) => (JSON.parse(m.Body as string) as { Message: string }).Message), ['red'], 'a filter on an enveloped subscription')
})

t.test('PublishBatch: per-entry results, an invalid entry Failed and the rest delivered; batch errors', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const sqs = b.sqs()
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'batch' }))
  await subscribed(sns, sqs, TopicArn as string, 'raw', { RawMessageDelivery: 'true' })
  await subscribed(sns, sqs, TopicArn as string, 'wrapped')
  const res = await sns.send(new PublishBatchCommand({
    TopicArn,
    PublishBatchRequestEntries: [
      { Id: 'a', Message: 'one', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
      { Id: 'b', Message: 'two', MessageAttributes: { k: { DataType: 'Nope', StringValue: 'v' } } },
      { Id: 'c', Message: 'three', Subject: 'third' },
    ],
  }))
  t.same(res.Successful?.map((s) => s.Id), ['a', 'c'])
  t.match(res.Failed, [{ Id: 'b', Code: 'ParameterValueInvalid', SenderFault: true }])
  const raw = await drain(sqs, b.endpoint, 'raw')
  t.same(raw.map((m) => m.Body), ['one', 'three'])
  t.same(raw.map((m) => m.MessageId), res.Successful?.map((s) => s.MessageId))
  const wrapped = (await drain(sqs, b.endpoint, 'wrapped')).map((m) => JSON.parse(m.Body as string) as Record<string, unknown>)
  t.match(wrapped, [{ Message: 'one', MessageId: res.Successful?.[0]?.MessageId }, { Message: 'three', Subject: 'third' }])

  const many = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'x' }))
  t.match(await err(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: many }))), { name: 'TooManyEntriesInBatchRequestException', Code: 'TooManyEntriesInBatchRequest' })
  t.match(await err(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'a', Message: 'x' }, { Id: 'a', Message: 'y' }] }))), { name: 'BatchEntryIdsNotDistinctException' })
  t.match(await err(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [] }))), { name: 'EmptyBatchRequestException' })
  t.match(await err(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'bad id!', Message: 'x' }] }))), { name: 'InvalidBatchEntryIdException' })
  t.match(await err(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'a', Message: 'x'.repeat(200_000) }, { Id: 'b', Message: 'y'.repeat(100_000) }] }))), { name: 'BatchRequestTooLongException' })
})

t.test('FIFO topic to FIFO queues: groups in order, dedup by id and content, SequenceNumber', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  const sqs = b.sqs()
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'ledger.fifo', Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'true' } }))
  await subscribed(sns, sqs, TopicArn as string, 'raw.fifo', { RawMessageDelivery: 'true' })
  await subscribed(sns, sqs, TopicArn as string, 'wrapped.fifo')
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: 'x' }))), { name: 'InvalidParameterException', message: /MessageGroupId/ })
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageGroupId: 'a b' }))), { name: 'InvalidParameterException', message: /MessageGroupId/ }, 'a group id is printable ASCII without spaces')
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd'.repeat(129) }))), { name: 'InvalidParameterException', message: /MessageDeduplicationId/ }, 'a dedup id is at most 128 characters')
  const a1 = await sns.send(new PublishCommand({ TopicArn, Message: 'a1', MessageGroupId: 'a' }))
  const dup = await sns.send(new PublishCommand({ TopicArn, Message: 'a1', MessageGroupId: 'a' }))
  t.equal(dup.MessageId, a1.MessageId, 'the same body within 5 minutes is a duplicate (content-based)')
  t.equal(dup.SequenceNumber, a1.SequenceNumber)
  const a2 = await sns.send(new PublishCommand({ TopicArn, Message: 'a2', MessageGroupId: 'a', MessageDeduplicationId: 'd2' }))
  const dup2 = await sns.send(new PublishCommand({ TopicArn, Message: 'other', MessageGroupId: 'a', MessageDeduplicationId: 'd2' }))
  t.equal(dup2.MessageId, a2.MessageId, 'an explicit MessageDeduplicationId wins')
  t.ok(BigInt(a2.SequenceNumber as string) > BigInt(a1.SequenceNumber as string))
  await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'x', Message: 'b1', MessageGroupId: 'b' }, { Id: 'y', Message: 'a3', MessageGroupId: 'a' }] }))

  const raw = await drainFifo(sqs, `${b.endpoint}/000000000000/raw.fifo`)
  t.same(raw.map((m) => m.Body), ['a1', 'b1', 'a2', 'a3'], 'one in flight per group, each group in publish order; duplicates not delivered')
  t.same(raw.map((m) => m.Attributes?.MessageGroupId), ['a', 'b', 'a', 'a'])
  const envelopes = (await drainFifo(sqs, `${b.endpoint}/000000000000/wrapped.fifo`)).map((m) => JSON.parse(m.Body as string) as Record<string, unknown>)
  t.same(envelopes.map((e) => e.Message), ['a1', 'b1', 'a2', 'a3'])
  t.match(envelopes[0], { MessageId: a1.MessageId, SequenceNumber: a1.SequenceNumber })

  const noCbd = await sns.send(new CreateTopicCommand({ Name: 'strict.fifo' }))
  t.match(await err(sns.send(new PublishCommand({ TopicArn: noCbd.TopicArn, Message: 'x', MessageGroupId: 'g' }))), { name: 'InvalidParameterException', message: /ContentBasedDeduplication/ })
})

t.test('Publish errors: NotFound, InvalidParameter, ParameterValueInvalid, raw XML', async (t) => {
  const b = await startFaceBroker(t)
  const sns = b.sns()
  t.match(await err(sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:none', Message: 'x' }))), { name: 'NotFoundException', Code: 'NotFound', $metadata: { httpStatusCode: 404 } })
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 't' }))
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: '' }))), { name: 'InvalidParameterException', message: /Empty message/ })
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: 'x', Subject: 'line\nbreak' }))), { name: 'InvalidParameterException', message: /Subject/ })
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageDeduplicationId: 'd' }))), { name: 'InvalidParameterException' }, 'dedup ids are for fifo topics')
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } }))), { name: 'InvalidParameterValueException', Code: 'ParameterValueInvalid' })
  t.match(await err(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(262_145) }))), { name: 'InvalidParameterException', message: /too long/ })
  const json = await sns.send(new PublishCommand({ TopicArn, MessageStructure: 'json', Message: JSON.stringify({ default: 'd', sqs: 's' }) }))
  t.ok(json.MessageId, 'MessageStructure json')
  t.match(await err(sns.send(new PublishCommand({ TopicArn, MessageStructure: 'json', Message: '{"sqs":"s"}' }))), { name: 'InvalidParameterException', message: /default/ })

  const post = (body: string): Promise<Response> => fetch(b.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  const missing = await post('Action=Publish&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:none&Message=x')
  t.equal(missing.status, 404)
  t.match(await missing.text(), /^<\?xml version="1.0"\?><ErrorResponse xmlns="http:\/\/sns\.amazonaws\.com\/doc\/2010-03-31\/"><Error><Type>Sender<\/Type><Code>NotFound<\/Code>/)
  const unknown = await post('Action=CreatePlatformApplication&Version=2010-03-31')
  t.match(await unknown.text(), /<Code>InvalidAction<\/Code>/)
})
