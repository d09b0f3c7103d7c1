// A message the SQS face confirmed survives kill -9 of the broker (fsync always), and so do the
// queue's SQS attributes and the SNS topics and subscriptions (the face's state file beside the log).
import t from 'tap'
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { CreateTopicCommand, GetSubscriptionAttributesCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns'
import { spawnBroker, type ChildBroker } from '../crash/child-broker.js'
import { tempDir } from '../helpers/broker.js'
import { freePort } from '../helpers/ports.js'

/** A broker with its face on a free port (another is tried if a parallel test took it first). */
async function spawnWithFace(data: string): Promise<{ child: ChildBroker; endpoint: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    try {
      const child = await spawnBroker(data, ['--sqs-port', String(port)])
      const line = child.lines.find((l) => /^hubq sqs\/sns on /.test(String(l.msg)))
      if (!line) throw new Error('no "hubq sqs/sns on" line before "listening"')
      return { child, endpoint: `http://127.0.0.1:${line.sqsPort as number}` }
    } catch (err) {
      if (attempt >= 5 || !/EADDRINUSE/.test(String(err))) throw err
    }
  }
}

const client = (endpoint: string): SQSClient => new SQSClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })

t.test('SendMessage confirmed, then kill -9: the message and the queue attributes are there after a restart', async (t) => {
  const data = tempDir('hubq-face-kill9-')
  t.teardown(() => data.remove())
  const first = await spawnWithFace(data.path)
  t.teardown(() => first.child.child.kill('SIGKILL'))
  const sqs = client(first.endpoint)
  t.teardown(() => sqs.destroy())
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'durable', Attributes: { VisibilityTimeout: '77', ReceiveMessageWaitTimeSeconds: '3' } }))
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'kept', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } }))
  await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'kept too' }] }))
  first.child.child.kill('SIGKILL')
  await first.child.exited

  const second = await spawnWithFace(data.path)
  t.teardown(() => second.child.child.kill('SIGKILL'))
  const again = client(second.endpoint)
  t.teardown(() => again.destroy())
  const url = QueueUrl?.replace(first.endpoint, second.endpoint)
  const got = await again.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }))
  t.same(got.Messages?.map((m) => m.Body), ['kept', 'kept too'])
  t.equal(got.Messages?.[0]?.MessageId, sent.MessageId)
  t.equal(got.Messages?.[0]?.MD5OfMessageAttributes, sent.MD5OfMessageAttributes)
  const attrs = await again.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'ReceiveMessageWaitTimeSeconds'] }))
  t.same(attrs.Attributes, { VisibilityTimeout: '77', ReceiveMessageWaitTimeSeconds: '3' })
})

t.test('SNS subscriptions survive kill -9: the enveloped one (the face\'s) and the raw one (a binding) both deliver after a restart', async (t) => {
  const data = tempDir('hubq-face-kill9-sns-')
  t.teardown(() => data.remove())
  const first = await spawnWithFace(data.path)
  t.teardown(() => first.child.child.kill('SIGKILL'))
  const snsClient = (endpoint: string): SNSClient => new SNSClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
  const sqs = client(first.endpoint)
  const sns = snsClient(first.endpoint)
  t.teardown(() => sqs.destroy())
  t.teardown(() => sns.destroy())
  await sqs.send(new CreateQueueCommand({ QueueName: 'wrapped' }))
  await sqs.send(new CreateQueueCommand({ QueueName: 'raw' }))
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'kept' }))
  const wrapped = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:wrapped', Attributes: { FilterPolicy: JSON.stringify({ n: [{ numeric: ['>', 1] }] }) } }))
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:raw', Attributes: { RawMessageDelivery: 'true' } }))
  first.child.child.kill('SIGKILL')
  await first.child.exited

  const second = await spawnWithFace(data.path)
  t.teardown(() => second.child.child.kill('SIGKILL'))
  const sqs2 = client(second.endpoint)
  const sns2 = snsClient(second.endpoint)
  t.teardown(() => sqs2.destroy())
  t.teardown(() => sns2.destroy())
  t.match((await sns2.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: wrapped.SubscriptionArn }))).Attributes, { RawMessageDelivery: 'false', FilterPolicy: JSON.stringify({ n: [{ numeric: ['>', 1] }] }) })
  await sns2.send(new PublishCommand({ TopicArn, Message: 'after', MessageAttributes: { n: { DataType: 'Number', StringValue: '2' } } }))
  const got = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: `${second.endpoint}/000000000000/wrapped` }))
  t.match(JSON.parse(got.Messages?.[0]?.Body ?? '{}'), { Type: 'Notification', Message: 'after', TopicArn })
  const raw = await sqs2.send(new ReceiveMessageCommand({ QueueUrl: `${second.endpoint}/000000000000/raw` }))
  t.equal(raw.Messages?.[0]?.Body, 'after')
})
