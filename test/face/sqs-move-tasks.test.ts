// Message move tasks on a dead-letter queue (PROTOCOL.md §12.5): hubq's redrive behind
// StartMessageMoveTask, the finished task in ListMessageMoveTasks, nothing left to cancel.
import t from 'tap'
import {
  CancelMessageMoveTaskCommand, ChangeMessageVisibilityCommand, CreateQueueCommand, GetQueueAttributesCommand,
  ListMessageMoveTasksCommand, ReceiveMessageCommand, SendMessageBatchCommand, StartMessageMoveTaskCommand, type SQSClient,
} from '@aws-sdk/client-sqs'
import { startFaceBroker } from './helpers.js'

const arnOf = (name: string): string => `arn:aws:sqs:us-east-1:000000000000:${name}`

async function deadLettered(sqs: SQSClient, count: number): Promise<{ src: string; dlq: string }> {
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'dlq' }))).QueueUrl as string
  const src = (await sqs.send(new CreateQueueCommand({ QueueName: 'src', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('dlq'), maxReceiveCount: 1 }) } }))).QueueUrl as string
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: src, Entries: Array.from({ length: count }, (_, i) => ({ Id: `m${i}`, MessageBody: `poison ${i}` })) }))
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10 }))
  for (const m of got.Messages ?? []) await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: src, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }))
  return { src, dlq }
}

const ready = async (sqs: SQSClient, QueueUrl: string): Promise<string | undefined> =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages

t.test('StartMessageMoveTask moves a dead-letter queue back to its source; the task is listed COMPLETED', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  const { src, dlq } = await deadLettered(sqs, 3)
  t.equal(await ready(sqs, dlq), '3', 'three dead-lettered')
  t.equal(await ready(sqs, src), '0')

  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('dlq'), DestinationArn: arnOf('src'), MaxNumberOfMessagesPerSecond: 50 }))
  t.ok(TaskHandle)
  t.equal(await ready(sqs, src), '3', 'back on the source queue')
  t.equal(await ready(sqs, dlq), '0')
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))
  t.same((again.Messages ?? []).map((m) => m.Attributes?.ApproximateReceiveCount), ['1', '1', '1'], 'receive counts start again')

  const listed = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('dlq'), MaxResults: 10 }))
  t.match(listed.Results, [{
    Status: 'COMPLETED', SourceArn: arnOf('dlq'), DestinationArn: arnOf('src'), MaxNumberOfMessagesPerSecond: 50,
    ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: Number,
  }])
  t.notOk(listed.Results?.[0]?.TaskHandle, 'a finished task has no handle in the list, as on AWS')

  const cancel = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })).catch((e: unknown) => e)
  t.match(cancel, { name: 'ResourceNotFoundException' }, 'nothing is left running to cancel')

  // A second task, with nothing to move: newest first.
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('dlq') }))
  const two = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('dlq'), MaxResults: 10 }))
  t.same(two.Results?.map((r) => r.ApproximateNumberOfMessagesMoved), [0, 3])
  t.equal((await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('dlq') }))).Results?.length, 1, 'MaxResults defaults to 1')
})

t.test('move tasks refuse what hubq cannot do, in AWS\'s codes', async (t) => {
  const b = await startFaceBroker(t)
  const sqs = b.sqs()
  await deadLettered(sqs, 1)
  await sqs.send(new CreateQueueCommand({ QueueName: 'elsewhere' }))
  t.match(await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('src') })).catch((e: unknown) => e), { name: 'InvalidParameterValue' }, 'the source must be a dead-letter queue')
  t.match(await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('dlq'), DestinationArn: arnOf('elsewhere') })).catch((e: unknown) => e), { name: 'InvalidParameterValue' }, 'messages go back where they died')
  t.match(await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('nope') })).catch((e: unknown) => e), { name: 'ResourceNotFoundException' })
  t.match(await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('nope') })).catch((e: unknown) => e), { name: 'ResourceNotFoundException' })
  t.match(await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'bm9wZQ' })).catch((e: unknown) => e), { name: 'ResourceNotFoundException' })
  t.same((await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('dlq') }))).Results, [], 'no task yet')
})
