// receive and subscribe on SQS: long polls, the receipts they hand out, and the orphans a poll
// leaves when its reader went away before SQS answered (PROTOCOL.md §10).
import {
  ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type Message,
} from '@aws-sdk/client-sqs'
import type { Owner, ReceiveOptions, Subscription } from '../protocol/store-types.js'
import type { Delivery } from '../protocol/types.js'
import type { SqsContext } from './context.js'
import { SQS_BATCH, SQS_MAX_VISIBILITY_SECONDS, SQS_MAX_WAIT_SECONDS, wholeSeconds } from './limits.js'
import { RECEIVE_ATTRIBUTES, toDelivery } from './mapping.js'
import type { QueueRef } from './queues.js'
import type { Holder } from './receipts.js'
import { PollingSubscription } from './subscription.js'

/** Who a fetch is for: its receipts' owner and holder, and whether it stopped waiting. */
export interface Reader {
  owner: Owner
  holder?: Holder
  gone?: () => boolean
}

export class Reading {
  private readonly subscriptions = new Set<PollingSubscription>()
  private subscriptionSeq = 0

  /** `subscriptionWait`: long-poll seconds of a subscription's ReceiveMessage calls (1..20). */
  constructor(private readonly context: SqsContext, private readonly subscriptionWait: number) {}

  async receive(name: string, options: ReceiveOptions): Promise<Delivery[]> {
    const wait = wholeSeconds(options.wait, 'wait', SQS_MAX_WAIT_SECONDS)
    const queue = await this.context.calls.tracked(this.context.queues.findOrDeclare(name))
    const out: Delivery[] = []
    // The first call long-polls; the rest only top up a batch larger than SQS's 10.
    while (out.length < options.max) {
      const want = Math.min(SQS_BATCH, options.max - out.length)
      const got = await this.fetch(queue, want, out.length === 0 ? wait : 0, options.visibilityTimeout, {
        owner: options.owner, gone: () => options.signal?.aborted === true,
      })
      out.push(...got)
      if (got.length === 0) break
    }
    if (options.signal?.aborted) {
      // The connection went away during the poll: these wait for the next reader.
      this.orphan(out)
      return []
    }
    return out
  }

  async subscribe(name: string, owner: Owner, prefetch: number, deliver: (d: Delivery) => void): Promise<Subscription> {
    const { calls, clock, log } = this.context
    const queue = await calls.tracked(this.context.queues.findOrDeclare(name))
    const sub: PollingSubscription = new PollingSubscription(`s${++this.subscriptionSeq}`, prefetch, deliver, {
      fetch: (max, holder) => this.fetch(queue, max, this.subscriptionWait, undefined, { owner, holder, gone: () => !this.subscriptions.has(sub) }),
      orphaned: (deliveries) => this.orphan(deliveries),
      failed: (err) => log.warn({ queue: name, code: err.code, err: err.message }, 'subscription poll failed'),
      pause: (ms) => new Promise((resolve) => {
        if (calls.stopped) return resolve()
        clock.setTimeout(resolve, ms)
      }),
    })
    this.subscriptions.add(sub)
    const close = sub.close.bind(sub)
    sub.close = () => {
      this.subscriptions.delete(sub)
      close()
    }
    // Deliveries start on the next turn, after the reply that names the subscription is out.
    setImmediate(() => sub.start())
    return sub
  }

  /** Every subscription stops (the core is closing). */
  closeAll(): void {
    for (const sub of this.subscriptions) sub.close()
    this.subscriptions.clear()
  }

  /**
   * Up to `max` deliveries for a reader: the queue's orphans first, else one ReceiveMessage that
   * long-polls `wait` seconds. The wait lasts its whole time unless messages come, the reader goes,
   * or an orphan is held for the queue: a poll that SQS answers empty early is made again.
   */
  async fetch(
    queue: QueueRef, max: number, wait: number, visibilityTimeout: number | undefined, reader: Reader,
  ): Promise<Delivery[]> {
    const { calls, clock, orphans, receipts, sqs } = this.context
    if (visibilityTimeout !== undefined) wholeSeconds(visibilityTimeout, 'visibilityTimeout', SQS_MAX_VISIBILITY_SECONDS)
    const seconds = visibilityTimeout ?? queue.visibilityTimeout
    const taken = (deliveries: Delivery[]): Delivery[] => {
      for (const d of deliveries) receipts.add(d.receipt, d.mid, queue, reader.owner, reader.holder, seconds)
      return deliveries
    }
    // SQS's wait runs on the server's clock, not on an injected one.
    const waitEnds = Date.now() + wait * 1000
    for (;;) {
      if (calls.stopped || reader.gone?.() === true) return []
      const adopted = await this.adopt(queue, max, seconds)
      if (adopted.length > 0) return taken(adopted)
      const left = Math.floor((waitEnds - Date.now()) / 1000)
      const poll = calls.call('SQS ReceiveMessage', () => sqs.send(new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: Math.max(0, left),
        ...(visibilityTimeout !== undefined ? { VisibilityTimeout: visibilityTimeout } : {}),
        MessageSystemAttributeNames: [...RECEIVE_ATTRIBUTES],
        MessageAttributeNames: ['All'],
      }), { abortSignal: calls.signal })).then((reply) => this.toDeliveries(queue, reply.Messages ?? []))
      if (left <= 0) return taken(await poll)
      // A long poll gives way to an orphan held meanwhile. SQS still finishes the poll, and what it
      // takes then has no reader waiting: it is orphaned in turn.
      let cancel = (): void => {}
      const orphanFirst = new Promise<undefined>((resolve) => (cancel = orphans.onHeld(queue.name, () => {
        if (reader.gone?.() === true) return false
        resolve(undefined)
        return true
      })))
      const polled = await Promise.race([poll, orphanFirst]).finally(() => cancel())
      if (polled) {
        const waitLeft = waitEnds - Date.now() >= 1000
        if (polled.length > 0 || !waitLeft || reader.gone?.() === true) return taken(polled)
        continue
      }
      void poll.then(
        (late) => { for (const d of late) orphans.hold(d, clock.now() + seconds * 1000) },
        () => undefined,
      )
    }
  }

  private toDeliveries(queue: QueueRef, messages: Message[]): Delivery[] {
    return messages.map((message) => {
      const delivery = toDelivery(message, queue.name)
      if (delivery.receives > 1) this.context.counters.of(queue.name).redelivered++
      return delivery
    })
  }

  /**
   * Deliveries whose reader went away during the poll (PROTOCOL.md §10): SQS already counted the
   * receive, so they are held, receipts alive, for the next reader of their queue.
   */
  private orphan(deliveries: Delivery[]): void {
    for (const delivery of deliveries) {
      const entry = this.context.receipts.take(delivery.receipt)
      if (entry) this.context.orphans.hold(delivery, entry.deadline)
    }
  }

  /**
   * Up to `max` (at most 10) of the queue's orphans for a new reader, each invisible for that
   * reader's visibility timeout from now, as any delivery; one whose receipt died meanwhile is skipped.
   */
  private async adopt(queue: QueueRef, max: number, seconds: number): Promise<Delivery[]> {
    const orphans = this.context.orphans.take(queue.name, max)
    if (orphans.length === 0) return []
    const reply = await this.context.calls.call('SQS ChangeMessageVisibilityBatch', () => this.context.sqs.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queue.url,
      Entries: orphans.map((delivery, i) => ({ Id: String(i), ReceiptHandle: delivery.receipt, VisibilityTimeout: seconds })),
    })))
    const alive = new Set((reply.Successful ?? []).map((ok) => Number(ok.Id)))
    return orphans.filter((_, i) => alive.has(i))
  }
}
