// The admin ops on SQS/SNS: purge, drop, peek (refused), redrive, stats and inspect. Counts are
// SQS's approximate ones; published, acked and redelivered count this process only.
import {
  DeleteQueueCommand, PurgeQueueCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs'
import { randomUUID } from 'node:crypto'
import { badRequest } from '../errors.js'
import { byName, type Owner, type QueueInspection, type StoreStats } from '../protocol/store-types.js'
import type { Delivery, PeekState, QueueStats } from '../protocol/types.js'
import type { SqsContext } from './context.js'
import { SQS_BATCH } from './limits.js'
import { toMessageAttributes } from './mapping.js'
import type { QueueRef } from './queues.js'
import type { Reading } from './reading.js'
import type { Settling } from './settling.js'

export class Admin {
  constructor(private readonly context: SqsContext, private readonly reading: Reading, private readonly settling: Settling) {}

  async purge(name: string): Promise<number> {
    const { calls, receipts, sqs } = this.context
    const queue = await calls.tracked(this.context.queues.existing(name))
    const before = await this.queueStats(queue)
    await calls.call('SQS PurgeQueue', () => sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url })))
    for (const receipt of receipts.receiptsIn(name)) receipts.take(receipt)
    this.context.orphans.forget(name)
    return before.ready + before.inflight + before.delayed
  }

  async drop(name: string): Promise<void> {
    const { calls, queues, receipts, sqs } = this.context
    const queue = await calls.tracked(queues.existing(name))
    await calls.tracked(this.context.topics.unbindEverywhere(queue))
    await calls.call('SQS DeleteQueue', () => sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url })))
    queues.dropped(name)
    for (const receipt of receipts.receiptsIn(name)) receipts.take(receipt)
    this.context.orphans.forget(name)
  }

  peek(_queue: string, _state: PeekState, _max: number): Delivery[] {
    // bad_request rather than unavailable: a retry can never succeed, so clients must not retry.
    throw badRequest('peek is not available on the SQS backend: SQS cannot show messages without receiving them (use receive with a short visibilityTimeout, or stats for counts)')
  }

  /** Moves the dead-letter queue's messages back to the one queue that dead-letters into it. */
  async redrive(name: string): Promise<number> {
    const { calls, queues, sqs } = this.context
    const deadLetter = await calls.tracked(queues.existing(name))
    const sources = await calls.tracked(queues.sourcesOf(deadLetter.arn, await this.queueUrls()))
    if (sources.length === 0) return 0
    if (sources.length > 1) {
      throw badRequest(`redrive: ${sources.length} queues dead-letter into ${name}, and SQS does not record which one a message died in; receive from ${name} and publish where you want instead`)
    }
    const target = sources[0] as string
    const targetFifo = target.endsWith('.fifo')
    const budget = (await this.queueStats(deadLetter)).ready
    let moved = 0
    const owner: Owner = { id: -1 }
    while (moved < budget) {
      const batch = await this.reading.fetch(deadLetter, Math.min(SQS_BATCH, budget - moved), 0, 60, { owner })
      if (batch.length === 0) break
      const entries: SendMessageBatchRequestEntry[] = batch.map((d, i) => {
        const entry: SendMessageBatchRequestEntry = { Id: String(i), MessageBody: d.bodyJson }
        const attributes = toMessageAttributes(d.attrs)
        if (attributes) entry.MessageAttributes = attributes
        if (targetFifo) {
          entry.MessageGroupId = d.group ?? 'redrive'
          entry.MessageDeduplicationId = randomUUID()
        }
        return entry
      })
      const sent = await calls.call('SQS SendMessageBatch', () => sqs.send(new SendMessageBatchCommand({ QueueUrl: target, Entries: entries })))
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)))
      // Only what arrived in the source is deleted here; the rest stays dead-lettered.
      const done = batch.filter((_, i) => ok.has(i)).map((d) => d.receipt)
      this.settling.releaseReceipts(batch.filter((_, i) => !ok.has(i)).map((d) => d.receipt))
      moved += await this.settling.deleteReceipts(done)
      if (ok.size < batch.length) break
    }
    return moved
  }

  async stats(name?: string): Promise<StoreStats> {
    const { calls, queues, topics } = this.context
    if (name !== undefined) {
      const queue = await calls.tracked(queues.existing(name))
      return { queues: [await this.queueStats(queue)], topics: await calls.tracked(topics.stats()) }
    }
    const out: QueueStats[] = []
    for (const url of await this.queueUrls()) {
      const sqsName = url.slice(url.lastIndexOf('/') + 1)
      const hubqName = queues.hubqName(sqsName)
      if (hubqName === undefined) continue
      const ref = await calls.tracked(queues.find(hubqName))
      if (ref) out.push(await this.queueStats(ref))
    }
    // ListQueues promises no order: sorted by hubq name, as the local store lists them.
    out.sort((a, b) => byName(a.queue, b.queue))
    return { queues: out, topics: await calls.tracked(topics.stats()) }
  }

  /**
   * The settings SQS keeps for the queue. SQS tells no age of the oldest message (CloudWatch's
   * ApproximateAgeOfOldestMessage is not a queue attribute), and consumers are not listed here.
   */
  async inspect(name: string): Promise<QueueInspection> {
    const { calls, queues } = this.context
    const queue = await calls.tracked(queues.existing(name))
    const attrs = await calls.tracked(queues.attributes(queue.url, ['VisibilityTimeout', 'DelaySeconds', 'MessageRetentionPeriod', 'RedrivePolicy']))
    const config: QueueInspection['config'] = {
      queue: queue.name,
      fifo: queue.fifo,
      visibilityTimeout: Number(attrs.VisibilityTimeout ?? queue.visibilityTimeout),
      delay: Number(attrs.DelaySeconds ?? 0),
      retention: Number(attrs.MessageRetentionPeriod ?? 345_600),
      maxReceives: 0,
    }
    try {
      const policy = attrs.RedrivePolicy ? JSON.parse(attrs.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string } : undefined
      const target = policy?.deadLetterTargetArn?.split(':').pop()
      const deadLetter = target === undefined ? undefined : queues.hubqName(target)
      if (deadLetter !== undefined) config.deadLetter = deadLetter
      if (policy?.maxReceiveCount !== undefined) config.maxReceives = Number(policy.maxReceiveCount)
    } catch {
      // A policy set outside hubq that is not JSON: the settings above still hold.
    }
    return { config, consumers: [] }
  }

  private async queueStats(queue: QueueRef): Promise<QueueStats> {
    const attrs = await this.context.calls.tracked(this.context.queues.attributes(queue.url, [
      'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed',
    ]))
    const counters = this.context.counters.of(queue.name)
    return {
      queue: queue.name,
      ready: Number(attrs.ApproximateNumberOfMessages ?? 0),
      inflight: Number(attrs.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(attrs.ApproximateNumberOfMessagesDelayed ?? 0),
      // SQS keeps no such counters: these count what went through this process only.
      published: counters.published,
      acked: counters.acked,
      deadLettered: 0,
      redelivered: counters.redelivered,
    }
  }

  private queueUrls(): Promise<string[]> {
    return this.context.calls.tracked(this.context.queues.urls())
  }
}
