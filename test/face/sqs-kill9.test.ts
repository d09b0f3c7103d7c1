// A message the SQS face confirmed survives kill -9 of the broker (fsync always), and so do the
// queue's SQS attributes (the face's state file beside the log).
import t from 'tap'
import net from 'node:net'
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { spawnBroker, type ChildBroker } from '../crash/child-broker.js'
import { tempDir } from '../helpers/broker.js'

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

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
