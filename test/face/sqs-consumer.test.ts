// sqs-producer and sqs-consumer from npm run a worker end to end against the face: every message
// handled once, deleted, and a failing handler's message retried after its visibility timeout.
import t from 'tap'
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs'
import { Producer } from 'sqs-producer'
import { Consumer } from 'sqs-consumer'
import { startFaceBroker } from './helpers.js'

t.test('a producer sends 25 messages, a consumer handles each, one failing once and retried', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '1' } }))
  const producer = Producer.create({ queueUrl: QueueUrl as string, sqs, batchSize: 10 })
  await producer.send(Array.from({ length: 25 }, (_, i) => ({ id: `m${i}`, body: JSON.stringify({ n: i }), messageAttributes: { kind: { DataType: 'String', StringValue: 'job' } } })))
  const handled = new Map<number, number>()
  let failedOnce = false
  const errors: string[] = []
  const done = new Promise<void>((resolve) => {
    const consumer = Consumer.create({
      queueUrl: QueueUrl as string,
      sqs,
      batchSize: 10,
      waitTimeSeconds: 1,
      messageAttributeNames: ['All'],
      handleMessage: async (message) => {
        const n = (JSON.parse(message.Body as string) as { n: number }).n
        if (message.MessageAttributes?.kind?.StringValue !== 'job') throw new Error('attributes lost')
        if (n === 7 && !failedOnce) {
          failedOnce = true
          throw new Error('first try fails')
        }
        handled.set(n, (handled.get(n) ?? 0) + 1)
        if (handled.size === 25) {
          consumer.once('stopped', () => resolve())
          consumer.stop({ abort: false })
        }
        return message
      },
    })
    consumer.on('error', (err) => errors.push(String(err)))
    consumer.start()
  })
  await done
  t.same(errors, [], 'no receive or delete failed')
  t.equal(handled.size, 25)
  t.ok([...handled.values()].every((c) => c === 1), 'each handled once')
  t.ok(failedOnce, 'the failing message came back and was handled')
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))
  t.equal(attrs.Attributes?.ApproximateNumberOfMessages, '0')
})
