// The seam between the libraries and where messages go. Producer and Consumer talk only to a
// ClientBackend; `openBackend` picks the implementation from the URL scheme, in this one place,
// so cloud mode (sqs://) plugs in without touching either library.
import type { Attrs, PeekState, QueueStats, TopicStats } from '../protocol/types.js'
import type { BackoffOptions } from './backoff.js'
import { HubqError, InvalidOptionError } from './errors.js'
import { HubqBackend } from './hubq-backend.js'
import { parseUrl } from './url.js'

export type PublishTarget = { queue: string } | { topic: string }

export interface OutgoingMessage {
  body: unknown
  attrs?: Attrs
  /** Seconds. */
  delay?: number
  group?: string
  dedupId?: string
}

/** One delivery, as a handler sees it. */
export interface Message<Body = unknown> {
  mid: string
  receipt: string
  queue: string
  body: Body
  attrs: Attrs
  /** 1 on the first delivery. */
  receives: number
  /** Milliseconds since the epoch. */
  publishedAt: number
  group?: string
}

export interface DeclareOptions {
  queue: string
  visibilityTimeout?: number
  maxReceives?: number
  deadLetter?: string
  delay?: number
  retention?: number
  fifo?: boolean
}

/** A message seen by `peek`: a delivery without a receipt; `receives` counts deliveries so far (0 for none). */
export type PeekedMessage<Body = unknown> = Omit<Message<Body>, 'receipt'>

export interface StatsResult {
  queues: QueueStats[]
  topics?: TopicStats[]
  connections?: number
  uptime?: number
}

export interface SubscriptionHandle {
  /** Stops new deliveries; those already delivered stay in flight until settled. */
  close(): Promise<void>
}

export interface BackendLimits {
  maxBatch: number
  maxMessage: number
}

export type BackendStatus =
  | { state: 'disconnected'; error: HubqError }
  | { state: 'reconnected' }
  | { state: 'failed'; error: HubqError }

export interface ClientBackend {
  readonly limits: BackendLimits
  /** Resolves with one mid per message, in order, once the messages are confirmed. */
  publish(target: PublishTarget, messages: OutgoingMessage[]): Promise<string[]>
  declare(options: DeclareOptions): Promise<{ created: boolean }>
  /** Deliveries keep coming (across reconnects, for a backend that has them) until the handle closes. */
  subscribe(queue: string, prefetch: number, onDelivery: (message: Message) => void): Promise<SubscriptionHandle>
  ack(receipts: string[]): Promise<number>
  /** Seconds before the message becomes visible again. */
  nack(receipt: string, delay: number): Promise<void>
  /** Seconds from now before the message becomes visible again. */
  touch(receipt: string, timeout: number): Promise<void>
  stats(queue?: string): Promise<StatsResult>
  /** The admin ops of PROTOCOL.md §4.11 to §4.15, for the commands. */
  topic(topic: string): Promise<{ created: boolean }>
  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void>
  unbind(topic: string, queue: string): Promise<void>
  peek(queue: string, state: PeekState, max: number): Promise<PeekedMessage[]>
  purge(queue: string): Promise<number>
  drop(queue: string): Promise<void>
  dropTopic(topic: string): Promise<void>
  redrive(queue: string): Promise<number>
  close(): Promise<void>
}

export interface BackendOptions {
  /** Shown by the broker in its logs. */
  name?: string
  token?: string
  /** For hubqs:// URLs: a CA to trust (PEM) instead of the system's, or rejectUnauthorized false (tests only). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean; servername?: string }
  /** Reconnect backoff in milliseconds; `attempts` before pending requests fail (default unlimited). */
  reconnect?: BackoffOptions & { attempts?: number }
  onStatus?: (status: BackendStatus) => void
}

export async function openBackend(url: string, options: BackendOptions = {}): Promise<ClientBackend> {
  const address = parseUrl(url)
  if (address.scheme === 'sqs') {
    // Loaded only here, so hubq:// clients never pay for the AWS SDK.
    const { SqsClientBackend } = await import('./sqs-backend.js')
    try {
      return await SqsClientBackend.open(address.href)
    } catch (err) {
      if (err instanceof Error && err.name === 'SqsUrlError') throw new InvalidOptionError(`${err.message}.`)
      throw err
    }
  }
  return HubqBackend.open(address, options)
}
