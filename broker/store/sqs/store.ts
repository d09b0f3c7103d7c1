// The SNS/SQS adapter behind the MessageStore seam (CONTRACT.md "Cloud mode"): every queue is an
// SQS queue, every topic an SNS topic, and this process keeps no message state beyond the
// receipts it handed out. Differences from the local store: PROTOCOL.md "Cloud mode differences".
import {
  ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, DeleteMessageBatchCommand,
  DeleteQueueCommand, ListQueuesCommand, PurgeQueueCommand, ReceiveMessageCommand, SQSClient,
  SendMessageBatchCommand, SendMessageCommand, type Message, type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs'
import { SNSClient } from '@aws-sdk/client-sns'
import { randomUUID } from 'node:crypto'
import { HubqError, badRequest } from '../../../shared/errors.js'
import { systemClock, type Clock } from '../../../shared/clock.js'
import { silentLogger, type Logger } from '../../../shared/logger.js'
import type { Delivery, PeekState, PublishInput, QueueStats } from '../../../shared/protocol/types.js'
import {
  byName,
  type DeclareInput, type MessageStore, type Owner, type PublishTarget, type ReceiveOptions, type StoreStats, type Subscription,
} from '../types.js'
import type { QueueInspection } from '../types.js'
import { fromAws, isBadReceipt } from './errors.js'
import {
  SQS_BATCH, SQS_MAX_VISIBILITY_SECONDS, SQS_MAX_WAIT_SECONDS, checkMessage, chunks, wholeSeconds,
} from './limits.js'
import { RECEIVE_ATTRIBUTES, toDelivery, toMessageAttributes } from './mapping.js'
import { Orphans } from './orphans.js'
import { QueueDirectory, type QueueRef } from './queues.js'
import { ReceiptBook, type Holder } from './receipts.js'
import { PollingSubscription } from './subscription.js'
import { TopicDirectory } from './topics.js'
import { formatSqsUrl, parseSqsUrl, type SqsUrl } from './url.js'

export interface SqsStoreOptions {
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

/** Who a fetch is for: its receipts' owner and holder, and whether it stopped waiting. */
interface Reader {
  owner: Owner
  holder?: Holder
  gone?: () => boolean
}

/** Attempts per AWS call (the SDK retries throttling and network errors with backoff). */
const MAX_ATTEMPTS = 5

export class SqsStore implements MessageStore {
  private readonly sqs: SQSClient
  private readonly sns: SNSClient
  private readonly ownsClients: boolean
  private readonly queues: QueueDirectory
  private readonly topics: TopicDirectory
  private readonly receipts: ReceiptBook
  private readonly orphans: Orphans
  private readonly log: Logger
  private readonly clock: Clock
  private readonly subscriptionWait: number
  private readonly url: SqsUrl
  private readonly subscriptions = new Set<PollingSubscription>()
  private readonly stopping = new AbortController()
  private readonly counters = new Map<string, { published: number; acked: number; redelivered: number }>()
  private subscriptionSeq = 0
  private lastCallFailed = false

  /** A store from an `sqs://` URL, with clients built from it and the standard AWS credentials. */
  static fromUrl(text: string, log?: Logger, options: Pick<SqsStoreOptions, 'maxQueues'> = {}): SqsStore {
    return new SqsStore({ url: parseSqsUrl(text), ...(log ? { log } : {}), ...options })
  }

  constructor(options: SqsStoreOptions) {
    this.url = options.url
    const clientConfig = {
      region: options.url.region,
      maxAttempts: MAX_ATTEMPTS,
      ...(options.url.endpoint !== undefined ? { endpoint: options.url.endpoint } : {}),
    }
    this.ownsClients = !options.sqs || !options.sns
    this.sqs = options.sqs ?? new SQSClient(clientConfig)
    this.sns = options.sns ?? new SNSClient(clientConfig)
    this.log = options.log ?? silentLogger
    this.clock = options.clock ?? systemClock
    this.subscriptionWait = options.subscriptionWait ?? SQS_MAX_WAIT_SECONDS
    this.queues = new QueueDirectory(this.sqs, options.url.prefix, options.maxQueues)
    this.topics = new TopicDirectory(this.sns, this.sqs, this.queues, options.url.prefix)
    this.receipts = new ReceiptBook(this.clock)
    this.orphans = new Orphans(this.clock)
  }

  get description(): string {
    return `sqs (${formatSqsUrl(this.url)}): queues and messages live in SQS/SNS, a publish is confirmed once SQS or SNS accepted it`
  }

  /** Fails fast on wrong credentials or an unreachable endpoint. */
  async open(): Promise<void> {
    await this.call('SQS ListQueues', () => this.sqs.send(new ListQueuesCommand({ MaxResults: 1, QueueNamePrefix: this.url.prefix || undefined })))
  }

  async close(): Promise<void> {
    for (const sub of this.subscriptions) sub.close()
    this.subscriptions.clear()
    // Polls cut short here may have taken messages; they come back after their visibility timeout.
    this.stopping.abort()
    this.receipts.clear()
    this.orphans.clear()
    if (this.ownsClients) {
      this.sqs.destroy()
      this.sns.destroy()
    }
  }

  healthy(): boolean {
    return !this.lastCallFailed
  }

  // ---- queues and topics -------------------------------------------------------------------

  async declare(input: DeclareInput): Promise<{ created: boolean }> {
    const { created } = await this.tracked(this.queues.declare(input))
    return { created }
  }

  topic(topic: string): Promise<{ created: boolean }> {
    return this.tracked(this.topics.create(topic))
  }

  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
    return this.tracked(this.topics.bind(topic, queue, filter))
  }

  unbind(topic: string, queue: string): Promise<void> {
    return this.tracked(this.topics.unbind(topic, queue))
  }

  // ---- publish -----------------------------------------------------------------------------

  async publish(target: PublishTarget, inputs: PublishInput[]): Promise<string[]> {
    const batch = inputs.length > 1
    inputs.forEach((input, i) => checkMessage(input, batch ? `messages[${i}].` : ''))
    if ('topic' in target) return this.tracked(this.topics.publish(target.topic, inputs))
    const queue = await this.tracked(this.queues.findOrDeclare(target.queue))
    const entries = inputs.map((input, i) => this.entry(queue, input, i, batch))
    const mids: string[] = []
    if (entries.length === 1) {
      const { Id: _id, ...entry } = entries[0] as SendMessageBatchRequestEntry
      const reply = await this.call('SQS SendMessage', () => this.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, ...entry })))
      mids.push(reply.MessageId ?? '')
    } else {
      // Batches go one after another so that order holds across them.
      for (const part of chunks(entries)) {
        const reply = await this.call('SQS SendMessageBatch', () => this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: part })))
        const failed = reply.Failed?.[0]
        if (failed) {
          throw new HubqError(failed.SenderFault ? 'bad_request' : 'unavailable', `SQS SendMessageBatch failed for a message: ${failed.Code}: ${failed.Message ?? ''}`)
        }
        const byId = new Map((reply.Successful ?? []).map((s) => [s.Id, s.MessageId ?? '']))
        for (const entry of part) mids.push(byId.get(entry.Id) ?? '')
      }
    }
    this.count(queue.name).published += inputs.length
    return mids
  }

  private entry(queue: QueueRef, input: PublishInput, index: number, batch: boolean): SendMessageBatchRequestEntry {
    const where = batch ? `messages[${index}].` : ''
    const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: input.bodyJson }
    const attributes = toMessageAttributes(input.attrs)
    if (attributes) entry.MessageAttributes = attributes
    if (queue.fifo) {
      if (input.group === undefined) throw badRequest(`${where}group is required: queue ${queue.name} is fifo`)
      if (input.delay !== undefined && input.delay > 0) {
        throw badRequest(`${where}delay: SQS fifo queues take no per-message delay; declare the queue with a delay instead`)
      }
      entry.MessageGroupId = input.group
      // Without a dedupId every publish is its own message, as on the local store.
      entry.MessageDeduplicationId = input.dedupId ?? randomUUID()
    } else if (input.delay !== undefined) {
      entry.DelaySeconds = input.delay
    }
    return entry
  }

  // ---- receive and subscribe ---------------------------------------------------------------

  async receive(name: string, options: ReceiveOptions): Promise<Delivery[]> {
    const wait = wholeSeconds(options.wait, 'wait', SQS_MAX_WAIT_SECONDS)
    const queue = await this.tracked(this.queues.findOrDeclare(name))
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
    const queue = await this.tracked(this.queues.findOrDeclare(name))
    const sub: PollingSubscription = new PollingSubscription(`s${++this.subscriptionSeq}`, prefetch, deliver, {
      fetch: (max, holder) => this.fetch(queue, max, this.subscriptionWait, undefined, { owner, holder, gone: () => !this.subscriptions.has(sub) }),
      orphaned: (deliveries) => this.orphan(deliveries),
      failed: (err) => this.log.warn({ queue: name, code: err.code, err: err.message }, 'subscription poll failed'),
      pause: (ms) => new Promise((resolve) => {
        if (this.stopping.signal.aborted) return resolve()
        this.clock.setTimeout(resolve, ms)
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

  /**
   * Up to `max` deliveries for a reader: the queue's orphans first, else one ReceiveMessage that
   * long-polls `wait` seconds. The wait lasts its whole time unless messages come, the reader goes,
   * or an orphan is held for the queue: a poll that SQS answers empty early is made again.
   */
  private async fetch(
    queue: QueueRef, max: number, wait: number, visibilityTimeout: number | undefined, reader: Reader,
  ): Promise<Delivery[]> {
    if (visibilityTimeout !== undefined) wholeSeconds(visibilityTimeout, 'visibilityTimeout', SQS_MAX_VISIBILITY_SECONDS)
    const seconds = visibilityTimeout ?? queue.visibilityTimeout
    const taken = (deliveries: Delivery[]): Delivery[] => {
      for (const d of deliveries) this.receipts.add(d.receipt, d.mid, queue, reader.owner, reader.holder, seconds)
      return deliveries
    }
    // SQS's wait runs on the server's clock, not on an injected one.
    const waitEnds = Date.now() + wait * 1000
    for (;;) {
      if (this.stopping.signal.aborted || reader.gone?.() === true) return []
      const adopted = await this.adopt(queue, max, seconds)
      if (adopted.length > 0) return taken(adopted)
      const left = Math.floor((waitEnds - Date.now()) / 1000)
      const poll = this.call('SQS ReceiveMessage', () => this.sqs.send(new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: Math.max(0, left),
        ...(visibilityTimeout !== undefined ? { VisibilityTimeout: visibilityTimeout } : {}),
        MessageSystemAttributeNames: [...RECEIVE_ATTRIBUTES],
        MessageAttributeNames: ['All'],
      }), { abortSignal: this.stopping.signal })).then((reply) => this.toDeliveries(queue, reply.Messages ?? []))
      if (left <= 0) return taken(await poll)
      // A long poll gives way to an orphan held meanwhile. SQS still finishes the poll, and what it
      // takes then has no reader waiting: it is orphaned in turn.
      let cancel = (): void => {}
      const orphanFirst = new Promise<undefined>((resolve) => (cancel = this.orphans.onHeld(queue.name, () => {
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
        (late) => { for (const d of late) this.orphans.hold(d, this.clock.now() + seconds * 1000) },
        () => undefined,
      )
    }
  }

  private toDeliveries(queue: QueueRef, messages: Message[]): Delivery[] {
    return messages.map((message) => {
      const delivery = toDelivery(message, queue.name)
      if (delivery.receives > 1) this.count(queue.name).redelivered++
      return delivery
    })
  }

  /**
   * Deliveries whose reader went away during the poll (PROTOCOL.md §10): SQS already counted the
   * receive, so they are held, receipts alive, for the next reader of their queue.
   */
  private orphan(deliveries: Delivery[]): void {
    for (const delivery of deliveries) {
      const entry = this.receipts.take(delivery.receipt)
      if (entry) this.orphans.hold(delivery, entry.deadline)
    }
  }

  /**
   * Up to `max` (at most 10) of the queue's orphans for a new reader, each invisible for that
   * reader's visibility timeout from now, as any delivery; one whose receipt died meanwhile is skipped.
   */
  private async adopt(queue: QueueRef, max: number, seconds: number): Promise<Delivery[]> {
    const orphans = this.orphans.take(queue.name, max)
    if (orphans.length === 0) return []
    const reply = await this.call('SQS ChangeMessageVisibilityBatch', () => this.sqs.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queue.url,
      Entries: orphans.map((delivery, i) => ({ Id: String(i), ReceiptHandle: delivery.receipt, VisibilityTimeout: seconds })),
    })))
    const alive = new Set((reply.Successful ?? []).map((ok) => Number(ok.Id)))
    return orphans.filter((_, i) => alive.has(i))
  }

  // ---- settle ------------------------------------------------------------------------------

  async ack(receipts: string[]): Promise<number> {
    if (receipts.length === 1 && !this.receipts.get(receipts[0] as string)) throw unknownReceipt()
    const acked = await this.deleteReceipts(receipts)
    if (receipts.length === 1 && acked === 0) throw unknownReceipt()
    return acked
  }

  /** DeleteMessageBatch per queue, 10 at a time; receipts this process does not hold are skipped. */
  private async deleteReceipts(receipts: string[]): Promise<number> {
    const byQueue = new Map<QueueRef, Set<string>>()
    for (const receipt of receipts) {
      const entry = this.receipts.get(receipt)
      if (!entry) continue
      let set = byQueue.get(entry.queue)
      if (!set) byQueue.set(entry.queue, (set = new Set()))
      set.add(receipt)
    }
    let total = 0
    for (const [queue, set] of byQueue) {
      let acked = 0
      for (const part of chunks([...set])) {
        const reply = await this.call('SQS DeleteMessageBatch', () => this.sqs.send(new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: part.map((receipt, i) => ({ Id: String(i), ReceiptHandle: receipt })),
        })))
        for (const ok of reply.Successful ?? []) {
          const receipt = part[Number(ok.Id)]
          if (receipt !== undefined && this.receipts.take(receipt)) acked++
        }
        // A receipt SQS refuses is dead for good; anything else may succeed on a retry.
        for (const failed of reply.Failed ?? []) {
          const receipt = part[Number(failed.Id)]
          if (receipt !== undefined && failed.SenderFault) this.receipts.take(receipt)
        }
      }
      this.count(queue.name).acked += acked
      total += acked
    }
    return total
  }

  async nack(receipt: string, delay: number): Promise<void> {
    await this.changeVisibility(receipt, wholeSeconds(delay, 'delay', SQS_MAX_VISIBILITY_SECONDS))
    this.receipts.take(receipt)
  }

  async touch(receipt: string, timeout: number): Promise<void> {
    await this.changeVisibility(receipt, wholeSeconds(timeout, 'timeout', SQS_MAX_VISIBILITY_SECONDS))
    if (timeout === 0) this.receipts.take(receipt)
    else this.receipts.extend(receipt, timeout)
  }

  receiptQueue(receipt: string): string | undefined {
    return this.receipts.get(receipt)?.queue.name
  }

  private async changeVisibility(receipt: string, seconds: number): Promise<void> {
    const entry = this.receipts.get(receipt)
    if (!entry) throw unknownReceipt()
    try {
      await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: entry.queue.url, ReceiptHandle: receipt, VisibilityTimeout: seconds }))
      this.lastCallFailed = false
    } catch (err) {
      if (isBadReceipt(err)) {
        this.receipts.take(receipt)
        throw unknownReceipt()
      }
      throw this.failure(err, 'SQS ChangeMessageVisibility')
    }
  }

  release(owner: Owner): void {
    this.releaseReceipts(this.receipts.receiptsOf(owner))
  }

  /** Visible again at once; best effort (a failure only means they wait out their timeout). */
  private releaseReceipts(receipts: string[]): void {
    const byQueue = new Map<QueueRef, string[]>()
    for (const receipt of receipts) {
      const entry = this.receipts.take(receipt)
      if (!entry) continue
      let list = byQueue.get(entry.queue)
      if (!list) byQueue.set(entry.queue, (list = []))
      list.push(receipt)
    }
    for (const [queue, list] of byQueue) {
      for (const part of chunks(list)) {
        this.sqs.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: part.map((receipt, i) => ({ Id: String(i), ReceiptHandle: receipt, VisibilityTimeout: 0 })),
        })).catch((err: unknown) => this.log.warn({ queue: queue.name, err: (err as Error).message }, 'release failed; messages return after their visibility timeout'))
      }
    }
  }

  // ---- admin -------------------------------------------------------------------------------

  async purge(name: string): Promise<number> {
    const queue = await this.tracked(this.queues.existing(name))
    const before = await this.queueStats(queue)
    await this.call('SQS PurgeQueue', () => this.sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url })))
    for (const receipt of this.receipts.receiptsIn(name)) this.receipts.take(receipt)
    this.orphans.forget(name)
    return before.ready + before.inflight + before.delayed
  }

  async drop(name: string): Promise<void> {
    const queue = await this.tracked(this.queues.existing(name))
    await this.tracked(this.topics.unbindEverywhere(queue))
    await this.call('SQS DeleteQueue', () => this.sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url })))
    this.queues.dropped(name)
    for (const receipt of this.receipts.receiptsIn(name)) this.receipts.take(receipt)
    this.orphans.forget(name)
  }

  peek(_queue: string, _state: PeekState, _max: number): Delivery[] {
    // bad_request rather than unavailable: a retry can never succeed, so clients must not retry.
    throw badRequest('peek is not available on the SQS backend: SQS cannot show messages without receiving them (use receive with a short visibilityTimeout, or stats for counts)')
  }

  /** Moves the dead-letter queue's messages back to the one queue that dead-letters into it. */
  async redrive(name: string): Promise<number> {
    const deadLetter = await this.tracked(this.queues.existing(name))
    const sources = await this.tracked(this.queues.sourcesOf(deadLetter.arn, await this.queueUrls()))
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
      const batch = await this.fetch(deadLetter, Math.min(SQS_BATCH, budget - moved), 0, 60, { owner })
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
      const sent = await this.call('SQS SendMessageBatch', () => this.sqs.send(new SendMessageBatchCommand({ QueueUrl: target, Entries: entries })))
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)))
      // Only what arrived in the source is deleted here; the rest stays dead-lettered.
      const done = batch.filter((_, i) => ok.has(i)).map((d) => d.receipt)
      this.releaseReceipts(batch.filter((_, i) => !ok.has(i)).map((d) => d.receipt))
      moved += await this.deleteReceipts(done)
      if (ok.size < batch.length) break
    }
    return moved
  }

  async stats(name?: string): Promise<StoreStats> {
    if (name !== undefined) {
      const queue = await this.tracked(this.queues.existing(name))
      return { queues: [await this.queueStats(queue)], topics: await this.tracked(this.topics.stats()) }
    }
    const queues: QueueStats[] = []
    for (const url of await this.queueUrls()) {
      const sqsName = url.slice(url.lastIndexOf('/') + 1)
      const hubqName = this.queues.hubqName(sqsName)
      if (hubqName === undefined) continue
      const ref = await this.tracked(this.queues.find(hubqName))
      if (ref) queues.push(await this.queueStats(ref))
    }
    // ListQueues promises no order: sorted by hubq name, as the local store lists them.
    queues.sort((a, b) => byName(a.queue, b.queue))
    return { queues, topics: await this.tracked(this.topics.stats()) }
  }

  /**
   * The settings SQS keeps for the queue. SQS tells no age of the oldest message (CloudWatch's
   * ApproximateAgeOfOldestMessage is not a queue attribute), and consumers are not listed here.
   */
  async inspect(name: string): Promise<QueueInspection> {
    const queue = await this.tracked(this.queues.existing(name))
    const attrs = await this.tracked(this.queues.attributes(queue.url, ['VisibilityTimeout', 'DelaySeconds', 'MessageRetentionPeriod', 'RedrivePolicy']))
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
      const deadLetter = target === undefined ? undefined : this.queues.hubqName(target)
      if (deadLetter !== undefined) config.deadLetter = deadLetter
      if (policy?.maxReceiveCount !== undefined) config.maxReceives = Number(policy.maxReceiveCount)
    } catch {
      // A policy set outside hubq that is not JSON: the settings above still hold.
    }
    return { config, consumers: [] }
  }

  private async queueStats(queue: QueueRef): Promise<QueueStats> {
    const attrs = await this.tracked(this.queues.attributes(queue.url, [
      'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed',
    ]))
    const counters = this.count(queue.name)
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
    return this.tracked(this.queues.urls())
  }

  // ---- internals ---------------------------------------------------------------------------

  private count(queue: string): { published: number; acked: number; redelivered: number } {
    let counters = this.counters.get(queue)
    if (!counters) this.counters.set(queue, (counters = { published: 0, acked: 0, redelivered: 0 }))
    return counters
  }

  /** One AWS call: success clears the outage flag, failure becomes a HubqError. */
  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      const result = await send()
      this.lastCallFailed = false
      return result
    } catch (err) {
      if (this.stopping.signal.aborted) throw new HubqError('unavailable', 'the store is closing')
      throw this.failure(err, what)
    }
  }

  private failure(err: unknown, what: string): HubqError {
    const error = fromAws(err, what)
    if (error.code === 'not_found') this.queuesMayBeGone()
    this.lastCallFailed = error.code === 'unavailable'
    return error
  }

  /** Tracks the outage flag for calls made by the directories. */
  private async tracked<T>(work: Promise<T>): Promise<T> {
    try {
      const result = await work
      this.lastCallFailed = false
      return result
    } catch (err) {
      const error = fromAws(err, 'AWS call')
      this.lastCallFailed = error.code === 'unavailable'
      throw error
    }
  }

  private queuesMayBeGone(): void {
    // A queue deleted behind our back: the cached URL is stale. Cheap to rebuild.
    this.queues.forgetAll()
  }
}

function unknownReceipt(): HubqError {
  return new HubqError('unknown_receipt', 'receipt is unknown, already settled, or its visibility timeout ran out')
}
