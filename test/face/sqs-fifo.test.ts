// FIFO through the SQS face: groups in order, one in flight per group, deduplication by id and
// by content (SHA-256 of the body), SequenceNumber, and fifo-only parameters refused elsewhere.
import t from 'tap'
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { startFaceBroker } from './helpers.js'

t.test('fifo queues: order within a group, dedup, ContentBasedDeduplication, SequenceNumber', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const err = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e)
  t.match(await err(sqs.send(new CreateQueueCommand({ QueueName: 'f.fifo', Attributes: { FifoQueue: 'false' } }))), { name: 'InvalidAttributeValue' })
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'f.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }))
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['FifoQueue', 'ContentBasedDeduplication'] }))
  t.same(attrs.Attributes, { FifoQueue: 'true', ContentBasedDeduplication: 'true' })
  t.match(await err(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))), { name: 'MissingParameter' })
  t.match(await err(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageGroupId: 'g', DelaySeconds: 1 }))), { name: 'InvalidParameterValue' })
  const a1 = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a1', MessageGroupId: 'a' }))
  const a1again = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a1', MessageGroupId: 'a' }))
  t.equal(a1again.MessageId, a1.MessageId, 'the same body within 5 minutes is a duplicate (content-based)')
  const a2 = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a2', MessageGroupId: 'a', MessageDeduplicationId: 'd2' }))
  const dup = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'other body', MessageGroupId: 'a', MessageDeduplicationId: 'd2' }))
  t.equal(dup.MessageId, a2.MessageId, 'an explicit MessageDeduplicationId wins')
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b1', MessageGroupId: 'b' }))
  t.ok(BigInt(a2.SequenceNumber as string) > BigInt(a1.SequenceNumber as string), 'SequenceNumber grows in send order')
  const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber'] }))
  t.same(first.Messages?.map((m) => m.Body), ['a1', 'b1'], 'one message per group in flight')
  t.equal(first.Messages?.[0]?.Attributes?.MessageGroupId, 'a')
  t.equal(first.Messages?.[0]?.Attributes?.SequenceNumber, a1.SequenceNumber)
  t.notOk((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.length, 'a2 waits behind a1')
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }))
  const next = await sqs.send(new ReceiveMessageCommand({ QueueUrl }))
  t.equal(next.Messages?.[0]?.Body, 'a2')
  const plain = await sqs.send(new CreateQueueCommand({ QueueName: 'plain' }))
  t.match(await err(sqs.send(new SendMessageCommand({ QueueUrl: plain.QueueUrl, MessageBody: 'x', MessageDeduplicationId: 'd' }))), { name: 'InvalidParameterValue' })
  const fair = await sqs.send(new SendMessageCommand({ QueueUrl: plain.QueueUrl, MessageBody: 'x', MessageGroupId: 'tenant-1' }))
  t.ok(fair.MessageId, 'a standard queue takes MessageGroupId (fair queues)')
  const noCbd = await sqs.send(new CreateQueueCommand({ QueueName: 'n.fifo', Attributes: { FifoQueue: 'true' } }))
  t.match(await err(sqs.send(new SendMessageCommand({ QueueUrl: noCbd.QueueUrl, MessageBody: 'x', MessageGroupId: 'g' }))), { name: 'InvalidParameterValue', message: /ContentBasedDeduplication/ })
})
