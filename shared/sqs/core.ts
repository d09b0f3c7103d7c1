// The SNS/SQS core (CONTRACT.md "Cloud mode"): every queue is an SQS queue, every topic an SNS
// topic, and this process keeps no message state beyond the receipts it handed out. The broker's
// cloud backend (broker/store/sqs/store.ts) is this core behind the MessageStore seam; the
// clients' sqs:// mode (shared/client/sqs-backend.ts) uses it with no broker at all. Differences
// from the local store: PROTOCOL.md "Cloud mode differences".
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { SNSClient } from '@aws-sdk/client-sns'
import { systemClock, type Clock } from '../clock.js'
import { silentLogger, type Logger } from '../logger.js'
import type {
  DeclareInput, Owner, PublishTarget, QueueInspection, ReceiveOptions, StoreStats, Subscription,
} from '../protocol/store-types.js'
import type { Delivery, PeekState, PublishInput } from '../protocol/types.js'
import { Admin } from './admin.js'
import { AwsCalls, Counters, type SqsContext } from './context.js'
import { SQS_MAX_WAIT_SECONDS } from './limits.js'
import { Orphans } from './orphans.js'
import { publish } from './publish.js'
import { QueueDirectory } from './queues.js'
import { Reading } from './reading.js'
import { ReceiptBook } from './receipts.js'
import { Settling } from './settling.js'
import { TopicDirectory } from './topics.js'
import type { SqsUrl } from './url.js'

export interface SqsCoreOptions {
  url: SqsUrl
  /** Injected so tests point them at a local SQS/SNS-compatible server. */
  sqs?: SQSClient
  sns?: SNSClient
  log?: Logger
  clock?: Clock
  /** Long-poll seconds of a subscription's ReceiveMessage calls (1..20). */
  subscriptionWait?: number
  /** Queues at most under the prefix (`--max-queues`); creating one more is `limit` (PROTOCOL.md §3). */
  maxQueues?: number
}

/** Attempts per AWS call (the SDK retries throttling and network errors with backoff). */
const MAX_ATTEMPTS = 5

export class SqsCore {
  readonly url: SqsUrl
  private readonly context: SqsContext
  private readonly ownsClients: boolean
  private readonly reading: Reading
  private readonly settling: Settling
  private readonly admin: Admin

  constructor(options: SqsCoreOptions) {
    this.url = options.url
    const clientConfig = {
      region: options.url.region,
      maxAttempts: MAX_ATTEMPTS,
      ...(options.url.endpoint !== undefined ? { endpoint: options.url.endpoint } : {}),
    }
    this.ownsClients = !options.sqs || !options.sns
    const sqs = options.sqs ?? new SQSClient(clientConfig)
    const sns = options.sns ?? new SNSClient(clientConfig)
    const clock = options.clock ?? systemClock
    const queues = new QueueDirectory(sqs, options.url.prefix, options.maxQueues)
    this.context = {
      sqs,
      sns,
      queues,
      topics: new TopicDirectory(sns, sqs, queues, options.url.prefix),
      receipts: new ReceiptBook(clock),
      orphans: new Orphans(clock),
      calls: new AwsCalls(queues),
      counters: new Counters(),
      log: options.log ?? silentLogger,
      clock,
    }
    this.reading = new Reading(this.context, options.subscriptionWait ?? SQS_MAX_WAIT_SECONDS)
    this.settling = new Settling(this.context)
    this.admin = new Admin(this.context, this.reading, this.settling)
  }

  /** Fails fast on wrong credentials or an unreachable endpoint. */
  async open(): Promise<void> {
    const { calls, sqs } = this.context
    await calls.call('SQS ListQueues', () => sqs.send(new ListQueuesCommand({ MaxResults: 1, QueueNamePrefix: this.url.prefix || undefined })))
  }

  async close(): Promise<void> {
    this.reading.closeAll()
    // Polls cut short here may have taken messages; they come back after their visibility timeout.
    this.context.calls.stop()
    this.context.receipts.clear()
    this.context.orphans.clear()
    if (this.ownsClients) {
      this.context.sqs.destroy()
      this.context.sns.destroy()
    }
  }

  /** False while the last AWS call failed for want of AWS (network, throttling, 5xx). */
  healthy(): boolean {
    return this.context.calls.healthy()
  }

  // ---- queues and topics -------------------------------------------------------------------

  async declare(input: DeclareInput): Promise<{ created: boolean }> {
    const { created } = await this.context.calls.tracked(this.context.queues.declare(input))
    return { created }
  }

  topic(topic: string): Promise<{ created: boolean }> {
    return this.context.calls.tracked(this.context.topics.create(topic))
  }

  dropTopic(topic: string): Promise<void> {
    return this.context.calls.tracked(this.context.topics.drop(topic))
  }

  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
    return this.context.calls.tracked(this.context.topics.bind(topic, queue, filter))
  }

  unbind(topic: string, queue: string): Promise<void> {
    return this.context.calls.tracked(this.context.topics.unbind(topic, queue))
  }

  // ---- messages ----------------------------------------------------------------------------

  publish(target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
    return publish(this.context, target, inputs)
  }

  receive(name: string, options: ReceiveOptions): Promise<Delivery[]> {
    return this.reading.receive(name, options)
  }

  subscribe(name: string, owner: Owner, prefetch: number, deliver: (d: Delivery) => void): Promise<Subscription> {
    return this.reading.subscribe(name, owner, prefetch, deliver)
  }

  ack(receipts: string[]): Promise<number> {
    return this.settling.ack(receipts)
  }

  nack(receipt: string, delay: number): Promise<void> {
    return this.settling.nack(receipt, delay)
  }

  touch(receipt: string, timeout: number): Promise<void> {
    return this.settling.touch(receipt, timeout)
  }

  receiptQueue(receipt: string): string | undefined {
    return this.settling.receiptQueue(receipt)
  }

  release(owner: Owner): void {
    this.settling.release(owner)
  }

  // ---- admin -------------------------------------------------------------------------------

  purge(name: string): Promise<number> {
    return this.admin.purge(name)
  }

  drop(name: string): Promise<void> {
    return this.admin.drop(name)
  }

  peek(queue: string, state: PeekState, max: number): Delivery[] {
    return this.admin.peek(queue, state, max)
  }

  redrive(name: string): Promise<number> {
    return this.admin.redrive(name)
  }

  stats(name?: string): Promise<StoreStats> {
    return this.admin.stats(name)
  }

  inspect(name: string): Promise<QueueInspection> {
    return this.admin.inspect(name)
  }
}
