// Producer: publishes confirmed by the broker, with a bounded window of unconfirmed messages.
import { openBackend, type BackendOptions, type ClientBackend, type OutgoingMessage, type PublishTarget } from '../shared/client/backend.js'
import { ConnectionError, HubqError, InvalidOptionError } from '../shared/client/errors.js'
import { integerOption, nameOption, numberOption } from '../shared/client/options.js'
import { resolveUrl } from '../shared/client/url.js'
import type { Attrs } from '../shared/protocol/types.js'
import { messageSize } from '../shared/protocol/requests.js'

export interface ProducerOptions extends BackendOptions {
  /** hubq://HOST:PORT (default: env HUBQ_URL, else hubq://127.0.0.1:7400). */
  url?: string
  /** Most messages published and not yet confirmed; publish() waits while it is full. Default 1000. */
  window?: number
  /** Send the publishes made in one event-loop turn to one target as `messages` batches. Default false. */
  batch?: boolean
  /** Use this backend instead of opening one from the URL (tests, custom transports). */
  backend?: ClientBackend
}

export interface PublishOptions {
  attrs?: Attrs
  /** Seconds before the message becomes visible. */
  delay?: number
  /** Fifo queues: the ordering group. */
  group?: string
  /** Fifo queues: repeats within 5 minutes are dropped (answered with the first mid). */
  dedupId?: string
}

/** A queue name, or `{ queue }`, or `{ topic }`. */
export type Target = string | PublishTarget

interface Batched {
  message: OutgoingMessage
  resolve: (mid: string) => void
  reject: (err: unknown) => void
}

export class Producer {
  private readonly window: number
  private readonly batching: boolean
  private inflight = 0
  /** Publishes waiting for room in the window, first come first served. */
  private readonly waiting: (() => void)[] = []
  private readonly idleWaiters: (() => void)[] = []
  private readonly batches = new Map<string, { target: PublishTarget; items: Batched[] }>()
  private flushScheduled = false
  private closing: Promise<void> | undefined

  private constructor(private readonly backend: ClientBackend, window: number, batching: boolean) {
    this.window = window
    this.batching = batching
  }

  static async connect(options: ProducerOptions = {}): Promise<Producer> {
    const window = integerOption('window', options.window, 1, 100_000, 1000)
    if (options.batch !== undefined && typeof options.batch !== 'boolean') throw new InvalidOptionError('batch must be true or false.')
    const backend = options.backend ?? (await openBackend(resolveUrl(options.url), { ...options, name: options.name ?? 'hubq-producer' }))
    return new Producer(backend, window, options.batch ?? false)
  }

  /** Messages published and not yet confirmed (never more than the window). */
  get inFlight(): number {
    return this.inflight
  }

  /** Resolves with the message id once the broker has confirmed the message. */
  async publish(target: Target, body: unknown, options: PublishOptions = {}): Promise<string> {
    if (this.closing) throw new ConnectionError('the producer is closed')
    const to = toTarget(target)
    const message = toMessage(body, options, this.backend.limits.maxMessage)
    // A full window hands its slot straight to the next waiter, so a publish made meanwhile
    // cannot slip in and push the count past the window.
    if (this.inflight < this.window && this.waiting.length === 0) this.inflight++
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return this.batching ? await this.enqueue(to, message) : ((await this.backend.publish(to, [message]))[0] as string)
    } finally {
      this.release()
    }
  }

  publishToTopic(topic: string, body: unknown, options: PublishOptions = {}): Promise<string> {
    return this.publish({ topic }, body, options)
  }

  /** Resolves when the window has room, for callers that read input at their own pace. */
  writable(): Promise<void> {
    if (this.inflight + this.waiting.length < this.window) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Waits for every publish already made to settle, then closes the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.inflight > 0 || this.waiting.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
      await this.backend.close()
    })()
    return this.closing
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.inflight--
    if (this.inflight + this.waiting.length < this.window) for (const wake of this.idleWaiters.splice(0)) wake()
  }

  private enqueue(target: PublishTarget, message: OutgoingMessage): Promise<string> {
    const key = 'queue' in target ? `q:${target.queue}` : `t:${target.topic}`
    let batch = this.batches.get(key)
    if (!batch) this.batches.set(key, (batch = { target, items: [] }))
    const items = batch.items
    const done = new Promise<string>((resolve, reject) => items.push({ message, resolve, reject }))
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => this.flush())
    }
    return done
  }

  private flush(): void {
    this.flushScheduled = false
    const max = this.backend.limits.maxBatch
    for (const { target, items } of this.batches.values()) {
      for (let start = 0; start < items.length; start += max) {
        const chunk = items.slice(start, start + max)
        this.backend.publish(target, chunk.map((item) => item.message)).then(
          (mids) => chunk.forEach((item, i) => item.resolve(mids[i] as string)),
          (err: unknown) => chunk.forEach((item) => item.reject(err)),
        )
      }
    }
    this.batches.clear()
  }
}

function toTarget(target: Target): PublishTarget {
  if (typeof target === 'string') return { queue: nameOption('queue', target) }
  if (typeof target === 'object' && target !== null) {
    if ('queue' in target && !('topic' in target)) return { queue: nameOption('queue', target.queue) }
    if ('topic' in target && !('queue' in target)) return { topic: nameOption('topic', target.topic) }
  }
  throw new InvalidOptionError('target must be a queue name, { queue } or { topic }.')
}

/** Checks what the broker would refuse, so one bad message cannot sink a whole batch. */
function toMessage(body: unknown, options: PublishOptions, maxMessage: number): OutgoingMessage {
  const json = JSON.stringify(body)
  if (json === undefined) throw new InvalidOptionError('body must be a JSON value.')
  const message: OutgoingMessage = { body }
  if (options.attrs !== undefined) {
    if (typeof options.attrs !== 'object' || options.attrs === null || Object.values(options.attrs).some((v) => typeof v !== 'string')) {
      throw new InvalidOptionError('attrs must be an object of string values.')
    }
    message.attrs = options.attrs
  }
  // As the broker counts it: the attrs with the body (PROTOCOL.md §3).
  if (messageSize(json, message.attrs) > maxMessage) {
    const what = message.attrs && Object.keys(message.attrs).length > 0 ? 'body and attrs are' : 'body is'
    throw new HubqError('message_too_large', `${what} larger than max-message (${maxMessage} bytes).`)
  }
  if (options.delay !== undefined) message.delay = numberOption('delay', options.delay, 0, 365 * 86_400, 0)
  if (options.group !== undefined) message.group = stringOption('group', options.group)
  if (options.dedupId !== undefined) message.dedupId = stringOption('dedupId', options.dedupId)
  return message
}

function stringOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) {
    throw new InvalidOptionError(`${name} must be a string of 1 to 128 characters.`)
  }
  return value
}
