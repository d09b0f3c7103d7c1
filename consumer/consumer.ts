// Consumer: runs a handler per delivery; resolve = ack (coalesced per event-loop turn), throw =
// nack with backoff; touches long-running messages so they stay invisible; stops gracefully.
import { EventEmitter } from 'node:events'
import { systemClock, type Clock } from '../shared/clock.js'
import { backoff, backoffDelay, type BackoffOptions } from '../shared/client/backoff.js'
import {
  openBackend, type BackendOptions, type ClientBackend, type DeclareOptions, type Message, type SubscriptionHandle,
} from '../shared/client/backend.js'
import { HubqError, InvalidOptionError } from '../shared/client/errors.js'
import { integerOption, nameOption, numberOption } from '../shared/client/options.js'
import { resolveUrl } from '../shared/client/url.js'

export type Handler<Body> = (message: Message<Body>) => unknown

export interface ConsumerOptions<Body = unknown> extends BackendOptions {
  url?: string
  queue: string
  handler: Handler<Body>
  /**
   * Turns each delivered body (JSON as sent) into the handler's `Body`: plug a validator here
   * (`(body) => Job.parse(body)`). When it throws, the message fails as if the handler had thrown
   * (nacked with backoff, dead-lettered after the queue's maxReceives); the handler never sees it.
   */
  parse?: (body: unknown) => Body
  /** Deliveries held unacked at once (1..10000, default 16). */
  prefetch?: number
  /** Seconds to wait before redelivery after the handler threw: a function of the message, or exponential backoff in seconds. */
  retryDelay?: ((message: Message<Body>, error: unknown) => number) | BackoffOptions
  /** Seconds of invisibility each heartbeat asks for (default 30). */
  visibilityTimeout?: number
  /** Seconds between touches of a message whose handler is still running; 0 = none (default visibilityTimeout / 3). */
  heartbeatInterval?: number
  /** Seconds stop() waits for running handlers before it nacks them (default 30). */
  stopTimeout?: number
  /** Declare the queue with these settings before subscribing. */
  declare?: Omit<DeclareOptions, 'queue'>
  backend?: ClientBackend
  clock?: Clock
}

export interface ConsumerEvents<Body> {
  message: [message: Message<Body>]
  processed: [message: Message<Body>]
  /** The handler threw; the message was nacked to come back after `retryDelay` seconds. */
  failed: [message: Message<Body>, error: unknown, retryDelay: number]
  /** A problem outside the handler (an ack that did not land, a lost connection). */
  error: [error: HubqError, message?: Message<Body>]
  stopped: []
}

interface Running<Body> {
  message: Message<Body>
  abandoned: boolean
  done: Promise<void>
}

const RETRY_DEFAULTS = { initial: 1, max: 300, factor: 2, jitter: 0 }
/** Receipts per ack frame, well under the broker's limit of max-batch × 100. */
const ACK_CHUNK = 1000

export class Consumer<Body = unknown> extends EventEmitter<ConsumerEvents<Body>> {
  readonly queue: string
  private readonly handler: Handler<Body>
  private readonly parse: ((body: unknown) => Body) | undefined
  private readonly retryDelay: (message: Message<Body>, error: unknown) => number
  private readonly visibilityTimeout: number
  private readonly heartbeatMs: number
  private readonly stopTimeoutMs: number
  private readonly clock: Clock
  private readonly running = new Map<string, Running<Body>>()
  private acks: string[] = []
  private ackFlight: Promise<void> = Promise.resolve()
  private subscription: SubscriptionHandle | undefined
  private stopping: Promise<void> | undefined
  /** Deliveries that came before start() returned; undefined once handling has begun. */
  private early: Message<Body>[] | undefined = []

  private constructor(private readonly backend: ClientBackend, options: ConsumerOptions<Body>) {
    super()
    this.queue = options.queue
    this.handler = options.handler
    this.parse = options.parse
    this.visibilityTimeout = numberOption('visibilityTimeout', options.visibilityTimeout, 1, 43_200, 30)
    this.heartbeatMs = numberOption('heartbeatInterval', options.heartbeatInterval, 0, 43_200, this.visibilityTimeout / 3) * 1000
    this.stopTimeoutMs = numberOption('stopTimeout', options.stopTimeout, 0, 86_400, 30) * 1000
    this.clock = options.clock ?? systemClock
    const retry = options.retryDelay
    if (typeof retry === 'function') this.retryDelay = retry
    else {
      const b = backoff(retry ?? {}, RETRY_DEFAULTS, 'retryDelay')
      this.retryDelay = (message) => backoffDelay(message.receives - 1, b)
    }
  }

  /** Validates the options, connects, optionally declares the queue, and starts handling deliveries. */
  static async start<Body = unknown>(options: ConsumerOptions<Body>): Promise<Consumer<Body>> {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options must be an object.')
    nameOption('queue', options.queue)
    if (typeof options.handler !== 'function') throw new InvalidOptionError('handler must be a function.')
    if (options.parse !== undefined && typeof options.parse !== 'function') throw new InvalidOptionError('parse must be a function.')
    const prefetch = integerOption('prefetch', options.prefetch, 1, 10_000, 16)
    if (options.retryDelay !== undefined && typeof options.retryDelay !== 'function' && typeof options.retryDelay !== 'object') {
      throw new InvalidOptionError('retryDelay must be a function or backoff options.')
    }
    if (typeof options.retryDelay === 'object') backoff(options.retryDelay, RETRY_DEFAULTS, 'retryDelay')
    numberOption('visibilityTimeout', options.visibilityTimeout, 1, 43_200, 30)
    numberOption('heartbeatInterval', options.heartbeatInterval, 0, 43_200, 10)
    numberOption('stopTimeout', options.stopTimeout, 0, 86_400, 30)
    let consumer: Consumer<Body> | undefined
    const onStatus: BackendOptions['onStatus'] = (status) => {
      options.onStatus?.(status)
      // Deliveries in flight died with the connection; the broker gives them to someone again.
      if (status.state !== 'reconnected') consumer?.reportError(status.error)
    }
    const backend = options.backend ?? (await openBackend(resolveUrl(options.url), { ...options, onStatus, name: options.name ?? 'hubq-consumer' }))
    try {
      consumer = new Consumer(backend, options)
      if (options.declare) await backend.declare({ ...options.declare, queue: options.queue })
      const self = consumer
      self.subscription = await backend.subscribe(options.queue, prefetch, (m) => self.onDelivery(m as Message<Body>))
      // Deliveries can arrive with the subscribe reply; they wait until the caller, resumed by
      // this promise, has had its turn to attach listeners.
      setImmediate(() => self.begin())
      return self
    } catch (err) {
      if (!options.backend) await backend.close()
      throw err
    }
  }

  /** Handlers running now. */
  get inFlight(): number {
    return this.running.size
  }

  /**
   * Stops taking messages, waits up to `timeout` seconds for running handlers, nacks those still
   * running after that (their later results are ignored), sends the last acks and disconnects.
   */
  stop(options: { timeout?: number } = {}): Promise<void> {
    const timeoutMs = options.timeout === undefined ? this.stopTimeoutMs : numberOption('timeout', options.timeout, 0, 86_400, 30) * 1000
    this.stopping ??= this.shutdown(timeoutMs)
    return this.stopping
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    try {
      await this.subscription?.close()
    } catch (err) {
      this.reportError(err)
    }
    if (this.running.size > 0) {
      let timer: unknown
      const timedOut = new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, timeoutMs)))
      await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), timedOut])
      this.clock.clearTimeout(timer)
      const abandoned = [...this.running.values()]
      for (const running of abandoned) running.abandoned = true
      await Promise.all(abandoned.map((r) => this.backend.nack(r.message.receipt, 0).catch((err: unknown) => this.reportError(err, r.message))))
    }
    this.flushAcks()
    await this.ackFlight
    await this.backend.close()
    this.emit('stopped')
  }

  private begin(): void {
    const early = this.early
    this.early = undefined
    for (const message of early ?? []) this.onDelivery(message)
  }

  private onDelivery(message: Message<Body>): void {
    if (this.early) {
      this.early.push(message)
      return
    }
    if (this.stopping) {
      // Arrived after stop(): hand it straight back for another consumer.
      this.backend.nack(message.receipt, 0).catch((err: unknown) => this.reportError(err, message))
      return
    }
    const running: Running<Body> = { message, abandoned: false, done: Promise.resolve() }
    this.running.set(message.receipt, running)
    running.done = this.handle(running)
  }

  private async handle(running: Running<Body>): Promise<void> {
    let { message } = running
    const heartbeat = this.startHeartbeat(running)
    try {
      // A body parse rejects fails here, like a throwing handler (the events then carry it as delivered).
      if (this.parse) message = { ...message, body: this.parse(message.body) }
      this.emit('message', message)
      await this.handler(message)
      if (running.abandoned) return
      this.queueAck(message.receipt)
      this.emit('processed', message)
    } catch (err) {
      if (running.abandoned) return
      let delay = 0
      try {
        delay = Math.min(43_200, Math.max(0, Number(this.retryDelay(message, err)) || 0))
      } catch (retryErr) {
        this.reportError(retryErr, message)
      }
      this.backend.nack(message.receipt, delay).catch((nackErr: unknown) => this.reportError(nackErr, message))
      this.emit('failed', message, err, delay)
    } finally {
      heartbeat.stop()
      this.running.delete(message.receipt)
    }
  }

  private startHeartbeat(running: Running<Body>): { stop(): void } {
    if (this.heartbeatMs <= 0) return { stop: () => {} }
    let timer: unknown
    const beat = (): void => {
      if (running.abandoned || !this.running.has(running.message.receipt)) return
      this.backend.touch(running.message.receipt, this.visibilityTimeout).catch((err: unknown) => this.reportError(err, running.message))
      timer = this.clock.setTimeout(beat, this.heartbeatMs)
    }
    timer = this.clock.setTimeout(beat, this.heartbeatMs)
    return { stop: () => this.clock.clearTimeout(timer) }
  }

  private queueAck(receipt: string): void {
    this.acks.push(receipt)
    if (this.acks.length === 1) setImmediate(() => this.flushAcks())
  }

  /** Everything acked in this turn of the event loop goes out as one `ack {receipts}` frame. */
  private flushAcks(): void {
    if (this.acks.length === 0) return
    const receipts = this.acks
    this.acks = []
    const sends: Promise<unknown>[] = []
    for (let start = 0; start < receipts.length; start += ACK_CHUNK) {
      sends.push(this.backend.ack(receipts.slice(start, start + ACK_CHUNK)).catch((err: unknown) => this.reportError(err)))
    }
    const previous = this.ackFlight
    this.ackFlight = Promise.all([previous, ...sends]).then(() => undefined)
  }

  private reportError(err: unknown, message?: Message<Body>): void {
    // EventEmitter throws an 'error' nobody listens to; a consumer should not crash over a lost ack.
    if (this.listenerCount('error') === 0) return
    const error = err instanceof HubqError ? err : new HubqError('internal', err instanceof Error ? err.message : String(err), { cause: err })
    if (message) this.emit('error', error, message)
    else this.emit('error', error)
  }
}
