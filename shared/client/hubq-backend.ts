// ClientBackend over the hubq TCP protocol. Owns the reconnect: when the connection drops it
// retries with jittered exponential backoff, subscribes again, and resends the requests that can
// be resent (publishes are resent when unconfirmed, so delivery is at-least-once). Receipts die
// with their connection, so settling requests (ack, nack, touch) fail instead of being resent.
import type { Attrs, PeekState } from '../protocol/types.js'
import { backoff, backoffDelay, type Backoff } from './backoff.js'
import type {
  BackendLimits, BackendOptions, ClientBackend, DeclareOptions, Message, OutgoingMessage, PeekedMessage, PublishTarget,
  StatsResult, SubscriptionHandle,
} from './backend.js'
import { Connection, type Frame } from './connection.js'
import { ConnectionError, HubqError, InvalidOptionError } from './errors.js'
import type { ClientAddress } from './url.js'

const RECONNECT_DEFAULTS: Backoff = { initial: 100, max: 5_000, factor: 2, jitter: 0.5 }

interface Request {
  frame: Frame
  resend: boolean
  resolve: (reply: Frame) => void
  reject: (err: HubqError) => void
}

interface Sub {
  queue: string
  prefetch: number
  onDelivery: (message: Message) => void
  /** The broker's id on the current connection; undefined while not subscribed. */
  id: string | undefined
  closed: boolean
}

type HubqAddress = Extract<ClientAddress, { scheme: 'hubq' }>

export class HubqBackend implements ClientBackend {
  limits: BackendLimits = { maxBatch: 100, maxMessage: 256 * 1024 }
  private connection: Connection | undefined
  /** Requests waiting for a connection, in the order they were made. */
  private readonly queued: Request[] = []
  private readonly subs = new Set<Sub>()
  private readonly subsById = new Map<string, Sub>()
  private readonly reconnect: Backoff
  private readonly maxAttempts: number
  private reconnectTimer: NodeJS.Timeout | undefined
  private closed = false
  /** Resolves close() once the socket it ended has closed. */
  private closedWaiter: (() => void) | undefined

  private constructor(
    private readonly address: HubqAddress,
    private readonly options: BackendOptions,
  ) {
    this.reconnect = backoff(options.reconnect ?? {}, RECONNECT_DEFAULTS, 'reconnect')
    const attempts = options.reconnect?.attempts ?? Infinity
    if (!(attempts === Infinity || (Number.isInteger(attempts) && attempts >= 0))) {
      throw new InvalidOptionError('reconnect.attempts must be an integer of at least 0, or Infinity.')
    }
    this.maxAttempts = attempts
  }

  /** Connects once; a broker that cannot be reached now is an error, not a retry loop. */
  static async open(address: HubqAddress, options: BackendOptions): Promise<HubqBackend> {
    const backend = new HubqBackend(address, options)
    backend.connection = await backend.connect()
    return backend
  }

  publish(target: PublishTarget, messages: OutgoingMessage[]): Promise<string[]> {
    const only = messages.length === 1 ? messages[0] : undefined
    const frame: Frame = only ? { op: 'publish', ...target, ...only } : { op: 'publish', ...target, messages }
    return this.call(frame, true).then((reply) => (only ? [reply.mid as string] : (reply.mids as string[])))
  }

  declare(options: DeclareOptions): Promise<{ created: boolean }> {
    return this.call({ op: 'declare', ...options }, true).then((reply) => ({ created: reply.created === true }))
  }

  async subscribe(queue: string, prefetch: number, onDelivery: (message: Message) => void): Promise<SubscriptionHandle> {
    const sub: Sub = { queue, prefetch, onDelivery, id: undefined, closed: false }
    const connection = this.connection
    if (!connection) throw new ConnectionError(`not connected to ${this.address.href} (reconnecting)`)
    await this.subscribeOn(connection, sub)
    this.subs.add(sub)
    return { close: () => this.unsubscribe(sub) }
  }

  ack(receipts: string[]): Promise<number> {
    return this.call({ op: 'ack', receipts }, false).then((reply) => reply.acked as number)
  }

  nack(receipt: string, delay: number): Promise<void> {
    return this.call({ op: 'nack', receipt, delay }, false).then(() => undefined)
  }

  touch(receipt: string, timeout: number): Promise<void> {
    return this.call({ op: 'touch', receipt, timeout }, false).then(() => undefined)
  }

  stats(queue?: string): Promise<StatsResult> {
    return this.call(queue === undefined ? { op: 'stats' } : { op: 'stats', queue }, true).then((reply) => {
      const { id: _id, ok: _ok, ...rest } = reply
      return rest as StatsResult
    })
  }

  topic(topic: string): Promise<{ created: boolean }> {
    return this.call({ op: 'topic', topic }, true).then((reply) => ({ created: reply.created === true }))
  }

  bind(topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
    return this.call({ op: 'bind', topic, queue, ...(filter ? { filter } : {}) }, true).then(() => undefined)
  }

  unbind(topic: string, queue: string): Promise<void> {
    return this.call({ op: 'unbind', topic, queue }, true).then(() => undefined)
  }

  peek(queue: string, state: PeekState, max: number): Promise<PeekedMessage[]> {
    return this.call({ op: 'peek', queue, state, max }, true).then((reply) => reply.messages as PeekedMessage[])
  }

  // Not resent after a lost connection: the first may have run, and a second answers differently.
  purge(queue: string): Promise<number> {
    return this.call({ op: 'purge', queue }, false).then((reply) => reply.purged as number)
  }

  drop(queue: string): Promise<void> {
    return this.call({ op: 'drop', queue }, false).then(() => undefined)
  }

  dropTopic(topic: string): Promise<void> {
    return this.call({ op: 'drop', topic }, false).then(() => undefined)
  }

  redrive(queue: string): Promise<number> {
    return this.call({ op: 'redrive', queue }, false).then((reply) => reply.moved as number)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    const error = new ConnectionError('the client was closed')
    for (const request of this.queued.splice(0)) request.reject(error)
    const connection = this.connection
    this.connection = undefined
    if (connection?.open) {
      await new Promise<void>((resolve) => {
        this.closedWaiter = resolve
        connection.close()
      })
    }
  }

  private call(frame: Frame, resend: boolean): Promise<Frame> {
    return new Promise((resolve, reject) => this.dispatch({ frame, resend, resolve, reject }))
  }

  private dispatch(request: Request): void {
    if (this.closed) return request.reject(new ConnectionError('the client is closed'))
    const connection = this.connection
    if (!connection) {
      if (request.resend) this.queued.push(request)
      else request.reject(new ConnectionError(`not connected to ${this.address.href}; the receipt died with the old connection`))
      return
    }
    connection.request(request.frame).then(request.resolve, (err: HubqError) => {
      // Lost with the connection: a publish may or may not have landed, so it goes again.
      if (err instanceof ConnectionError && request.resend && !this.closed) this.dispatch(request)
      else request.reject(err)
    })
  }

  private async connect(): Promise<Connection> {
    const connection = await Connection.open(this.address.host, this.address.port, {
      onPush: (frame) => this.onDeliver(frame),
      onClose: (reason) => this.onClose(connection, reason),
    }, undefined, this.address.tls ? (this.options.tls ?? {}) : undefined)
    try {
      const hello: Frame = { op: 'hello' }
      if (this.options.name !== undefined) hello.name = this.options.name
      const token = this.options.token ?? this.address.token
      if (token !== undefined) hello.token = token
      const reply = await connection.request(hello)
      const limits = reply.limits as Partial<BackendLimits> | undefined
      if (typeof limits?.maxBatch === 'number' && typeof limits.maxMessage === 'number') {
        this.limits = { maxBatch: limits.maxBatch, maxMessage: limits.maxMessage }
      }
    } catch (err) {
      connection.close()
      throw err
    }
    return connection
  }

  private subscribeOn(connection: Connection, sub: Sub): Promise<unknown> {
    // The id is recorded as the reply is read: deliveries can follow it in the same chunk.
    return connection.request({ op: 'subscribe', queue: sub.queue, prefetch: sub.prefetch }, (reply) => {
      sub.id = reply.sub as string
      this.subsById.set(sub.id, sub)
    })
  }

  private async unsubscribe(sub: Sub): Promise<void> {
    if (sub.closed) return
    sub.closed = true
    this.subs.delete(sub)
    const connection = this.connection
    if (sub.id === undefined || !connection) return
    try {
      await connection.request({ op: 'unsubscribe', sub: sub.id })
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err
    }
  }

  private onDeliver(frame: Frame): void {
    const sub = typeof frame.sub === 'string' ? this.subsById.get(frame.sub) : undefined
    if (!sub) {
      // Not ours any more: give it back at once rather than leave it until its timeout.
      if (typeof frame.receipt === 'string') this.nack(frame.receipt, 0).catch(() => {})
      return
    }
    const message: Message = {
      mid: frame.mid as string,
      receipt: frame.receipt as string,
      queue: frame.queue as string,
      body: frame.body,
      attrs: (frame.attrs ?? {}) as Attrs,
      receives: frame.receives as number,
      publishedAt: frame.publishedAt as number,
    }
    if (typeof frame.group === 'string') message.group = frame.group
    sub.onDelivery(message)
  }

  private onClose(connection: Connection, reason: HubqError): void {
    if (this.connection !== connection) {
      this.closedWaiter?.()
      this.closedWaiter = undefined
      return
    }
    this.connection = undefined
    for (const sub of this.subs) sub.id = undefined
    this.subsById.clear()
    if (this.closed) return
    this.options.onStatus?.({ state: 'disconnected', error: reason })
    this.scheduleReconnect(0)
  }

  private scheduleReconnect(attempt: number): void {
    if (attempt >= this.maxAttempts) {
      const error = new ConnectionError(`gave up reconnecting to ${this.address.href} after ${attempt} attempts`)
      this.closed = true
      for (const request of this.queued.splice(0)) request.reject(error)
      this.options.onStatus?.({ state: 'failed', error })
      return
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      this.connect().then(
        (connection) => this.resume(connection),
        () => {
          if (!this.closed) this.scheduleReconnect(attempt + 1)
        },
      )
    }, backoffDelay(attempt, this.reconnect))
  }

  private resume(connection: Connection): void {
    if (this.closed) return connection.close()
    this.connection = connection
    // Subscriptions first, then the waiting requests in their original order.
    for (const sub of this.subs) {
      this.subscribeOn(connection, sub).catch(() => {
        // A lost connection starts another round; anything else leaves this subscription idle.
      })
    }
    for (const request of this.queued.splice(0)) this.dispatch(request)
    this.options.onStatus?.({ state: 'reconnected' })
  }
}
