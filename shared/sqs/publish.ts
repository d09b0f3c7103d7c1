// publish on SQS/SNS: checked against SQS's limits before any call; to a topic through SNS, to a
// queue as SendMessage (one message) or SendMessageBatch calls one after another (order holds).
import { SendMessageBatchCommand, SendMessageCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs'
import { randomUUID } from 'node:crypto'
import { HubqError, badRequest } from '../errors.js'
import type { PublishTarget } from '../protocol/store-types.js'
import type { PublishInput } from '../protocol/types.js'
import type { SqsContext } from './context.js'
import { checkMessage, chunks } from './limits.js'
import { toMessageAttributes } from './mapping.js'
import type { QueueRef } from './queues.js'

export async function publish(context: SqsContext, target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
  const { calls, sqs } = context
  const batch = inputs.length > 1
  inputs.forEach((input, i) => checkMessage(input, batch ? `messages[${i}].` : ''))
  if ('topic' in target) return calls.tracked(context.topics.publish(target.topic, inputs))
  const queue = await calls.tracked(context.queues.findOrDeclare(target.queue))
  const entries = inputs.map((input, i) => entry(queue, input, i, batch))
  const mids: string[] = []
  if (entries.length === 1) {
    const { Id: _id, ...one } = entries[0] as SendMessageBatchRequestEntry
    const reply = await calls.call('SQS SendMessage', () => sqs.send(new SendMessageCommand({ QueueUrl: queue.url, ...one })))
    mids.push(reply.MessageId ?? '')
  } else {
    // Batches go one after another so that order holds across them.
    for (const part of chunks(entries)) {
      const reply = await calls.call('SQS SendMessageBatch', () => sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: part })))
      const failed = reply.Failed?.[0]
      if (failed) {
        throw new HubqError(failed.SenderFault ? 'bad_request' : 'unavailable', `SQS SendMessageBatch failed for a message: ${failed.Code}: ${failed.Message ?? ''}`)
      }
      const byId = new Map((reply.Successful ?? []).map((s) => [s.Id, s.MessageId ?? '']))
      for (const sent of part) mids.push(byId.get(sent.Id) ?? '')
    }
  }
  context.counters.of(queue.name).published += inputs.length
  return mids
}

function entry(queue: QueueRef, input: PublishInput, index: number, batch: boolean): SendMessageBatchRequestEntry {
  const where = batch ? `messages[${index}].` : ''
  const out: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: input.bodyJson }
  const attributes = toMessageAttributes(input.attrs)
  if (attributes) out.MessageAttributes = attributes
  if (queue.fifo) {
    if (input.group === undefined) throw badRequest(`${where}group is required: queue ${queue.name} is fifo`)
    if (input.delay !== undefined && input.delay > 0) {
      throw badRequest(`${where}delay: SQS fifo queues take no per-message delay; declare the queue with a delay instead`)
    }
    out.MessageGroupId = input.group
    // Without a dedupId every publish is its own message, as on the local store.
    out.MessageDeduplicationId = input.dedupId ?? randomUUID()
  } else if (input.delay !== undefined) {
    out.DelaySeconds = input.delay
  }
  return out
}
