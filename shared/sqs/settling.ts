// ack, nack, touch and release on SQS: each needs the receipt's queue, which the ReceiptBook
// remembers for every receipt this process handed out.
import {
  ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, DeleteMessageBatchCommand,
} from '@aws-sdk/client-sqs'
import { HubqError } from '../errors.js'
import type { Owner } from '../protocol/store-types.js'
import type { SqsContext } from './context.js'
import { isBadReceipt } from './errors.js'
import { SQS_MAX_VISIBILITY_SECONDS, chunks, wholeSeconds } from './limits.js'
import type { QueueRef } from './queues.js'

export class Settling {
  constructor(private readonly context: SqsContext) {}

  async ack(receipts: string[]): Promise<number> {
    if (receipts.length === 1 && !this.context.receipts.get(receipts[0] as string)) throw unknownReceipt()
    const acked = await this.deleteReceipts(receipts)
    if (receipts.length === 1 && acked === 0) throw unknownReceipt()
    return acked
  }

  /** DeleteMessageBatch per queue, 10 at a time; receipts this process does not hold are skipped. */
  async deleteReceipts(receipts: string[]): Promise<number> {
    const { calls, receipts: book, sqs } = this.context
    const byQueue = new Map<QueueRef, Set<string>>()
    for (const receipt of receipts) {
      const entry = book.get(receipt)
      if (!entry) continue
      let set = byQueue.get(entry.queue)
      if (!set) byQueue.set(entry.queue, (set = new Set()))
      set.add(receipt)
    }
    let total = 0
    for (const [queue, set] of byQueue) {
      let acked = 0
      for (const part of chunks([...set])) {
        const reply = await calls.call('SQS DeleteMessageBatch', () => sqs.send(new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: part.map((receipt, i) => ({ Id: String(i), ReceiptHandle: receipt })),
        })))
        for (const ok of reply.Successful ?? []) {
          const receipt = part[Number(ok.Id)]
          if (receipt !== undefined && book.take(receipt)) acked++
        }
        // A receipt SQS refuses is dead for good; anything else may succeed on a retry.
        for (const failed of reply.Failed ?? []) {
          const receipt = part[Number(failed.Id)]
          if (receipt !== undefined && failed.SenderFault) book.take(receipt)
        }
      }
      this.context.counters.of(queue.name).acked += acked
      total += acked
    }
    return total
  }

  async nack(receipt: string, delay: number): Promise<void> {
    await this.changeVisibility(receipt, wholeSeconds(delay, 'delay', SQS_MAX_VISIBILITY_SECONDS))
    this.context.receipts.take(receipt)
  }

  async touch(receipt: string, timeout: number): Promise<void> {
    await this.changeVisibility(receipt, wholeSeconds(timeout, 'timeout', SQS_MAX_VISIBILITY_SECONDS))
    if (timeout === 0) this.context.receipts.take(receipt)
    else this.context.receipts.extend(receipt, timeout)
  }

  receiptQueue(receipt: string): string | undefined {
    return this.context.receipts.get(receipt)?.queue.name
  }

  private async changeVisibility(receipt: string, seconds: number): Promise<void> {
    const { calls, receipts, sqs } = this.context
    const entry = receipts.get(receipt)
    if (!entry) throw unknownReceipt()
    try {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: entry.queue.url, ReceiptHandle: receipt, VisibilityTimeout: seconds }))
      calls.succeeded()
    } catch (err) {
      if (isBadReceipt(err)) {
        receipts.take(receipt)
        throw unknownReceipt()
      }
      throw calls.failure(err, 'SQS ChangeMessageVisibility')
    }
  }

  release(owner: Owner): void {
    this.releaseReceipts(this.context.receipts.receiptsOf(owner))
  }

  /** Visible again at once; best effort (a failure only means they wait out their timeout). */
  releaseReceipts(receipts: string[]): void {
    const { log, sqs } = this.context
    const byQueue = new Map<QueueRef, string[]>()
    for (const receipt of receipts) {
      const entry = this.context.receipts.take(receipt)
      if (!entry) continue
      let list = byQueue.get(entry.queue)
      if (!list) byQueue.set(entry.queue, (list = []))
      list.push(receipt)
    }
    for (const [queue, list] of byQueue) {
      for (const part of chunks(list)) {
        sqs.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: part.map((receipt, i) => ({ Id: String(i), ReceiptHandle: receipt, VisibilityTimeout: 0 })),
        })).catch((err: unknown) => log.warn({ queue: queue.name, err: (err as Error).message }, 'release failed; messages return after their visibility timeout'))
      }
    }
  }
}

function unknownReceipt(): HubqError {
  return new HubqError('unknown_receipt', 'receipt is unknown, already settled, or its visibility timeout ran out')
}
