// The broker's --max-message holds on the SQS and SNS face as on the hubq protocol: a message
// over it is refused with AWS's error and nothing of it is kept, whatever the queue's
// MaximumMessageSize says.
import t from 'tap'
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns'
import { startFaceBroker } from './helpers.js'

const MAX = 1024

t.test('SendMessage and SendMessageBatch refuse what the broker would not take over TCP', async (t) => {
  const b = await startFaceBroker(t, { limits: { maxMessage: MAX } })
  const sqs = b.sqs()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'small' }))
  await t.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(2000) })), { name: 'InvalidParameterValue' })
  // The body fits as SQS counts it (1,020 bytes) but not as the broker stores it: with
  // attributes, the stored size is over max-message.
  await t.rejects(sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: 'y'.repeat(1000), MessageAttributes: { kind: { DataType: 'String', StringValue: 'z'.repeat(40) } },
  })), { name: 'InvalidParameterValue' })
  const fits = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'y'.repeat(900) }))
  t.match(fits.MessageId, /^[0-9a-f-]{36}$/)
  const batch = await sqs.send(new SendMessageBatchCommand({
    QueueUrl, Entries: [{ Id: 'big', MessageBody: 'x'.repeat(2000) }, { Id: 'ok', MessageBody: 'fine' }],
  }))
  t.same(batch.Successful?.map((s) => s.Id), ['ok'])
  t.same(batch.Failed?.map((f) => [f.Id, f.Code, f.SenderFault]), [['big', 'InvalidParameterValue', true]])
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))
  t.equal(attrs.Attributes?.ApproximateNumberOfMessages, '2', 'only the two that fit were kept')
})

t.test('SNS Publish refuses a message over the broker\'s max-message', async (t) => {
  const b = await startFaceBroker(t, { limits: { maxMessage: MAX } })
  const sqs = b.sqs()
  const sns = b.sns()
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'inbox' }))
  const arn = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'news' }))
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: arn.Attributes?.QueueArn, Attributes: { RawMessageDelivery: 'true' } }))
  await t.rejects(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(2000) })), { name: 'InvalidParameterException' })
  await sns.send(new PublishCommand({ TopicArn, Message: 'small' }))
  const after = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))
  t.equal(after.Attributes?.ApproximateNumberOfMessages, '1')
})
