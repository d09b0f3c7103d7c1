// Cloud mode for the client libraries: the ClientBackend seam (./backend.ts) on the same SNS/SQS
// core the broker's cloud backend runs (shared/sqs/), so `--url sqs://…` needs no broker at all.
import type {
  BackendLimits, ClientBackend, DeclareOptions, Message, OutgoingMessage, PeekedMessage, PublishTarget, StatsResult, SubscriptionHandle,
} from './backend.js'
import { badRequest } from '../errors.js'
import type { Delivery, PeekState, PublishInput } from '../protocol/types.js'
import type { Owner } from '../protocol/store-types.js'
import { SQS_MAX_MESSAGE_BYTES } from '../sqs/limits.js'
import { SqsCore } from '../sqs/core.js'
import { parseSqsUrl } from '../sqs/url.js'

let ownerSeq = 0

export class SqsClientBackend implements ClientBackend {
  readonly limits: BackendLimits = { maxBatch: 100, maxMessage: SQS_MAX_MESSAGE_BYTES }
  /** Every subscription of this backend delivers as one owner (this process). */
  private readonly owner: Owner = { id: -1_000_000 - ++ownerSeq }

  constructor(private readonly core: SqsCore) {}

  /** Credentials come from the standard AWS environment variables and files. */
  static async open(href: string): Promise<SqsClientBackend> {
    const core = new SqsCore({ url: parseSqsUrl(href) })
    await core.open()
    return new SqsClientBackend(core)
  }

  publish(target: PublishTarget, messages: OutgoingMessage[]): Promise<string[]> {
    return this.core.publish(target, messages.map(toInput))
  }

  declare(options: DeclareOptions): Promise<{ created: boolean }> {
    return this.core.declare(options)
  }

  async subscribe(queue: string, prefetch: number, onDelivery: (message: Message) => void): Promise<SubscriptionHandle> {
    const sub = await this.core.subscribe(queue, this.owner, prefetch, (d) => onDelivery(toMessage(d)))
    return { close: async () => sub.close() }
  }

  ack(receipts: string[]): Promise<number> {
    return this.core.ack(receipts)
  }

  /** SQS counts whole seconds: a fractional retry backoff waits the next whole second. */
  nack(receipt: string, delay: number): Promise<void> {
    return this.core.nack(receipt, Math.ceil(delay))
  }

  touch(receipt: string, timeout: number): Promise<void> {
    return this.core.touch(receipt, Math.ceil(timeout))
  }

  async stats(queue?: string): Promise<StatsResult> {
    const { queues, topics } = await this.core.stats(queue)
    return { queues, topics }
  }

  topic(topic: string): Promise<{ created: boolean }> {
    return this.core.topic(topic)
  }

  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
    return this.core.bind(topic, queue, filter)
  }

  unbind(topic: string, queue: string): Promise<void> {
    return this.core.unbind(topic, queue)
  }

  /** The SQS store refuses with bad_request: SQS cannot show messages without receiving them (PROTOCOL.md §10). */
  async peek(queue: string, state: PeekState, max: number): Promise<PeekedMessage[]> {
    return (await this.core.peek(queue, state, max)).map((d) => {
      const { receipt: _receipt, ...rest } = toMessage(d)
      return rest
    })
  }

  purge(queue: string): Promise<number> {
    return this.core.purge(queue)
  }

  drop(queue: string): Promise<void> {
    return this.core.drop(queue)
  }

  dropTopic(topic: string): Promise<void> {
    return this.core.dropTopic(topic)
  }

  redrive(queue: string): Promise<number> {
    return this.core.redrive(queue)
  }

  async close(): Promise<void> {
    // Deliveries not settled yet become visible again at once rather than after their timeout.
    this.core.release(this.owner)
    await this.core.close()
  }
}

function toInput(message: OutgoingMessage): PublishInput {
  const bodyJson = JSON.stringify(message.body)
  if (bodyJson === undefined) throw badRequest('body must be a JSON value')
  const input: PublishInput = { bodyJson }
  if (message.attrs) input.attrs = message.attrs
  if (message.delay !== undefined) input.delay = message.delay
  if (message.group !== undefined) input.group = message.group
  if (message.dedupId !== undefined) input.dedupId = message.dedupId
  return input
}

function toMessage(d: Delivery): Message {
  const message: Message = {
    mid: d.mid, receipt: d.receipt, queue: d.queue, body: JSON.parse(d.bodyJson) as unknown,
    attrs: d.attrs ?? {}, receives: d.receives, publishedAt: d.publishedAt,
  }
  if (d.group !== undefined) message.group = d.group
  return message
}
