// One connection's life: frames in, one handler per request (after the hello, with auth),
// timeouts, and the close. Replies keep request order in session/reply-order.ts and leave
// through session/outbox.ts (PROTOCOL.md §2). Accepts any duplex stream, so tests need no port.
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { FrameDecoder, modeOf, type FrameSink } from '../shared/protocol/codec.js'
import { parseEnvelope, type Limits, type RequestId } from '../shared/protocol/requests.js'
import { deliveryJson, type Delivery } from '../shared/protocol/types.js'
import { HubqError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { MessageStore, Owner, Subscription } from './store/types.js'
import { Later, type BrokerInfo, type Handler, type Route, type SessionContext } from './handlers/types.js'
import { authorize } from './auth/permissions.js'
import { publish, publishFast } from './handlers/publish.js'
import type { FastPublish } from '../shared/protocol/fast-publish.js'
import type { Principal } from './auth/principal.js'
import type { AuthSettings } from './auth/settings.js'
import { systemClock, type Clock } from '../shared/clock.js'
import { Outbox, type OutboxHost } from './session/outbox.js'
import { ReplyOrder } from './session/reply-order.js'

let nextSessionId = 0

/** Requests held behind an unsettled one before the session stops reading (see throttle). */
const MAX_HELD = 1024

export interface SessionOptions {
  store: MessageStore
  limits: Limits
  info: BrokerInfo
  log: Logger
  routes: Record<string, Route>
  /** Set when the broker needs a `hello` token (PROTOCOL.md §7). */
  auth?: AuthSettings
  /** A peer that reads nothing of a full write buffer for this long is disconnected (PROTOCOL.md §2). */
  writeTimeoutMs?: number
  /** A connection silent this long, with no subscription and nothing in flight, is closed (0 = never). */
  idleTimeoutMs?: number
  /** True while the broker's memory is past its high watermark: publishers are not read then. */
  underPressure?: () => boolean
  /** Drives the hello, idle and write timeouts (the system clock unless a test moves its own). */
  clock?: Clock
}

export class Session implements SessionContext, OutboxHost {
  readonly owner: Owner
  readonly store: MessageStore
  readonly limits: Limits
  readonly info: BrokerInfo
  readonly log: Logger
  readonly subscriptions = new Map<string, Subscription>()
  clientName: string | undefined
  /** Who sent the accepted `hello` token; undefined until then (and always, without auth). */
  principal: Principal | undefined
  private readonly auth: AuthSettings | undefined
  private readonly clock: Clock
  private helloTimer: unknown
  /** The idle deadline (0 = none), when the peer was last heard from or last answered, and its timer. */
  private readonly idleMs: number
  private lastHeard = 0
  private idleTimer: unknown
  private readonly controller = new AbortController()
  private readonly decoder: FrameDecoder
  private readonly routes: Record<string, Route>
  private readonly out: Outbox
  private readonly order: ReplyOrder
  /** Requests read while an earlier one is still running, run in order once it settles. */
  private readonly held: (string | FastPublish)[] = []
  private closed = false
  /** The client ended its side: what it sent is answered, then the connection is closed. */
  private peerEnded = false
  /** Set for good when the broker stops or the stream failed: nothing more is read. */
  private readingStopped = false
  /** Has published: under memory pressure such a connection is not read (consumers still are). */
  private publisher = false
  private readonly underPressure: (() => boolean) | undefined

  constructor(
    private readonly stream: Duplex,
    options: SessionOptions,
  ) {
    this.owner = { id: ++nextSessionId }
    this.store = options.store
    this.limits = options.limits
    this.info = options.info
    this.routes = options.routes
    this.log = options.log.child({ conn: this.owner.id })
    this.auth = options.auth
    this.clock = options.clock ?? systemClock
    this.out = new Outbox(stream, this, this.log, this.clock, options.writeTimeoutMs ?? 30_000)
    this.order = new ReplyOrder(this.out, this.log, this.onSettled)
    // Before a good `hello`, frames stay small and time is short: nothing big is buffered for,
    // and no socket is held, on behalf of someone who never proved who they are.
    this.decoder = new FrameDecoder(this.auth ? Math.min(this.auth.preAuthMaxFrame, options.limits.maxFrame) : options.limits.maxFrame)
    // The fast path skips what only the general one does: the auth gate, a handler table of the
    // caller's own, and shape limits too tight for a four-key request.
    this.decoder.recognisePublish = this.auth === undefined && options.routes.publish?.handler === publish &&
      options.limits.maxKeys >= 4 && options.limits.maxDepth >= 1
    if (this.auth) this.helloTimer = this.clock.setTimeout(this.onHelloTimeout, this.auth.helloTimeoutMs)
    this.underPressure = options.underPressure
    // Keepalive finds half-open peers; the idle timeout closes connections nobody uses.
    if (stream instanceof Socket) stream.setKeepAlive(true, 30_000)
    this.idleMs = options.idleTimeoutMs ?? 0
    if (this.idleMs > 0) {
      this.lastHeard = this.clock.now()
      this.idleTimer = this.clock.setTimeout(this.onIdleTimeout, this.idleMs)
    }
    stream.on('data', (chunk: Buffer) => this.onData(chunk))
    stream.on('end', () => this.onPeerEnd())
    stream.on('error', (err) => this.log.debug({ err: err.message }, 'connection error'))
    stream.on('close', () => this.onClose())
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  push(sub: string, delivery: Delivery): void {
    const out = this.out
    out.pushingFor(sub)
    if (this.order.empty) {
      out.writeDelivery(delivery)
    } else {
      const json = deliveryJson(delivery, true, out.pushPrefix)
      this.order.queue(json)
      out.pushedChars += json.length
    }
    out.checkPushes()
  }

  /** Stops reading; resolves once every request already read has been answered. */
  drain(): Promise<void> {
    this.readingStopped = true
    this.stream.pause()
    // Long polls in flight answer now (with what they have) instead of holding the stop up.
    this.controller.abort()
    return new Promise((resolve) => this.whenAnswered(resolve))
  }

  /** Half-closes, then tears the connection down once the last bytes are out. */
  end(): void {
    if (this.out.muted) return
    this.out.mute()
    // Nothing more can be written, so nothing more is pushed: a push now would only be released.
    for (const sub of this.subscriptions.values()) sub.pause()
    this.stream.once('finish', () => this.stream.destroy())
    this.stream.end()
  }

  /** A new subscription (subscribe's handler): paused from the start while pushes wait. */
  subscribed(sub: Subscription): void {
    this.subscriptions.set(sub.id, sub)
    if (this.out.paused || this.peerEnded || this.out.muted) sub.pause()
  }

  /** Pushes may go out: the connection is open and the client has not ended its side. */
  pushable(): boolean {
    return !this.closed && !this.peerEnded
  }

  /** The broker's memory pressure changed: pause or resume reading. */
  recheck(): void {
    this.throttle()
  }

  /** hello's token check: no-op without auth; a wrong or missing token is `unauthorized`. */
  authenticate(token: string | undefined): void {
    if (this.auth === undefined) return
    if (token === undefined) {
      if (this.principal) return
      throw new HubqError('unauthorized', 'this broker needs a token: hello {"token": ...}')
    }
    const principal = this.auth.tokens.authenticate(token)
    if (!principal) {
      this.log.warn({ client: this.clientName }, 'hello with a wrong token')
      throw new HubqError('unauthorized', 'wrong token')
    }
    this.principal = principal
    this.clock.clearTimeout(this.helloTimer)
    this.decoder.setMaxFrame(this.limits.maxFrame)
    this.log.info({ principal: principal.name }, 'authenticated')
  }

  // A client that pipelines without reading its replies, or piles requests up behind a long
  // poll, must not make the broker buffer without end: reading stops until the replies drain
  // and the held requests have run, and TCP then pushes back on the client.
  throttle(): void {
    if (this.closed) return
    const stream = this.stream
    const pressed = this.publisher && this.subscriptions.size === 0 && this.underPressure?.() === true
    if (this.readingStopped || stream.writableNeedDrain || this.held.length >= MAX_HELD || pressed) {
      if (!stream.isPaused()) stream.pause()
      this.out.awaitDrain()
    } else if (stream.isPaused()) {
      stream.resume()
    }
  }

  private onData(chunk: Buffer): void {
    if (this.idleMs > 0) this.lastHeard = this.clock.now()
    // 0x16 0x03 opens a TLS handshake: a TLS client on a plaintext port is told so at once
    // instead of waiting for a line end that never comes (PROTOCOL.md §8).
    if (this.decoder.mode === undefined && chunk[0] === 0x16 && chunk[1] === 0x03) return this.refuseTls()
    // Replies go out in the mode the stream's first bytes chose, from its first frame on.
    if (this.decoder.mode === undefined) this.out.frames.mode = modeOf(chunk)
    this.decoder.each(chunk, this.sink)
    this.throttle()
  }

  /** What the decoder hands each frame to, as it reads it. */
  private readonly sink: FrameSink = {
    frame: (text) => this.onFrame(text),
    publish: (request) => this.onPublish(request),
    empty: () => this.order.answer(undefined, new HubqError('bad_request', 'empty frame: length must be at least 1')),
    tooLarge: (size, maxFrame) => {
      // The message names the cap the frame was held to: before a good hello on a broker with
      // auth that is the smaller pre-hello cap, not max-frame (PROTOCOL.md §7.1).
      const cap = maxFrame < this.limits.maxFrame
        ? `${maxFrame} bytes, the limit until a hello with a valid token`
        : `max-frame (${maxFrame} bytes)`
      const error = new HubqError('frame_too_large', `frame of ${size} bytes or more is larger than ${cap}; closing`)
      this.log.warn({ code: error.code, size }, 'frame too large, closing connection')
      this.stopAndEnd(error)
    },
  }

  private onFrame(text: string): void {
    if (this.held.length > 0) {
      this.held.push(text)
      return
    }
    const envelope = parseEnvelope(text, this.limits)
    if (!envelope.ok) return this.order.answer(envelope.id, envelope.error)
    // Publishes pipeline freely; anything else waits for what came before it on this connection,
    // so a receive or stats sent after a publish sees that publish (read your writes).
    if (envelope.op === 'publish') this.publisher = true
    if (this.order.unresolved > 0 && envelope.op !== 'publish') {
      this.held.push(text)
      return
    }
    const route = Object.prototype.hasOwnProperty.call(this.routes, envelope.op) ? this.routes[envelope.op] : undefined
    if (!route) return this.order.answer(envelope.id, new HubqError('unknown_op', `unknown op ${JSON.stringify(envelope.op).slice(0, 80)}`))
    if (this.auth !== undefined) {
      const denied = this.principal === undefined
        ? (envelope.op === 'hello' || envelope.op === 'ping' ? undefined : new HubqError('unauthorized', `${envelope.op} needs a hello with a valid token first`))
        : authorize(this.principal, envelope.op, route.rule, envelope.obj, this.store)
      if (denied) return this.order.answer(envelope.id, denied)
    }
    let result: ReturnType<Handler>
    try {
      result = route.handler(envelope.obj, this)
    } catch (err) {
      return this.order.answer(envelope.id, err)
    }
    this.reply(envelope.id, result)
  }

  /** A publish read by the decoder's fast path: what onFrame does for a publish, without the parse. */
  private onPublish(request: FastPublish): void {
    if (this.held.length > 0) {
      // The decoder fills the same object for its next publish: a held one is a copy.
      this.held.push({ id: request.id, queue: request.queue, bodyJson: request.bodyJson })
      return
    }
    this.publisher = true
    let result: ReturnType<typeof publishFast>
    try {
      result = publishFast(request.queue, request.bodyJson, this)
    } catch (err) {
      return this.order.answer(request.id, err)
    }
    this.reply(request.id, result)
  }

  /** A handler's result: answered now, or its place in the reply order held until it settles. */
  private reply(id: RequestId, result: ReturnType<Handler>): void {
    if (result instanceof Later) this.order.await(id, result.promise, result.reply)
    else if (result instanceof Promise) this.order.await(id, result, undefined)
    else this.order.answer(id, undefined, result)
  }

  // The last running request settled (its reply is out). Reading only needs a second look when
  // held requests ran (it may have stopped for them): a full write buffer is looked after by the
  // outbox and the drain, memory pressure by recheck.
  private readonly onSettled = (): void => {
    if (this.idleMs > 0) this.lastHeard = this.clock.now()
    if (this.held.length === 0 || this.closed) return
    do {
      const held = this.held.splice(0)
      for (const item of held) {
        if (typeof item === 'string') this.onFrame(item)
        else this.onPublish(item)
      }
    } while (this.order.unresolved === 0 && this.held.length > 0 && !this.closed)
    this.throttle()
  }

  // The client ended its side (a TCP half-close, as `nc -N` does when its input ends). Every
  // request read before it is answered, long polls and fsync waits included, and then the
  // connection is closed. A client that sends nothing more cannot ack, so its subscriptions push
  // nothing more, and what they pushed is released at the close (PROTOCOL.md §2 "Closing").
  private onPeerEnd(): void {
    if (this.closed || this.peerEnded) return
    this.peerEnded = true
    this.log.debug({ inFlight: this.order.waiting }, 'client ended its side: answering what was read, then closing')
    for (const sub of this.subscriptions.values()) sub.pause()
    this.endWhenFlushed()
  }

  /** Runs `fn` once every request read so far has been answered, or the connection closed. */
  private whenAnswered(fn: () => void): void {
    if (this.closed) fn()
    else this.order.whenAnswered(fn)
  }

  private readonly onHelloTimeout = (): void => {
    if (this.principal || this.closed) return
    this.log.info('no valid hello in time, closing')
    this.stopAndEnd(new HubqError('unauthorized', `no hello with a valid token within ${this.auth?.helloTimeoutMs ?? 0} ms; closing`))
  }

  // Silence counts from the last bytes read or the last request answered; quiet is fine while
  // the connection waits for deliveries or for its own requests (PROTOCOL.md §2).
  private readonly onIdleTimeout = (): void => {
    if (this.closed) return
    const quiet = this.clock.now() - this.lastHeard
    if (quiet < this.idleMs || this.subscriptions.size > 0 || !this.order.empty) {
      this.idleTimer = this.clock.setTimeout(this.onIdleTimeout, quiet < this.idleMs ? this.idleMs - quiet : this.idleMs)
      return
    }
    this.log.info({ ms: this.idleMs }, 'idle, closing')
    this.stopAndEnd(new HubqError('limit', `no traffic for ${this.idleMs} ms (--idle-timeout); closing`))
  }

  private refuseTls(): void {
    this.log.info('TLS handshake on a plaintext port, closing')
    this.stopAndEnd(new HubqError('bad_request', 'this port speaks plain hubq, not TLS (use hubq://, or start the broker with --tls-cert and --tls-key)'))
  }

  /** Answers with a last error (text mode unless binary was chosen), reads nothing more, closes. */
  private stopAndEnd(error: HubqError): void {
    this.order.answer(undefined, error)
    this.readingStopped = true
    this.stream.pause()
    this.endWhenFlushed()
  }

  // The connection is closed outright (not just half-closed), so a client that keeps its side
  // open cannot hold the socket (PROTOCOL.md §1).
  private endWhenFlushed(): void {
    this.whenAnswered(() => this.end())
  }

  private onClose(): void {
    if (this.closed) return
    this.closed = true
    this.out.closed()
    this.clock.clearTimeout(this.helloTimer)
    this.clock.clearTimeout(this.idleTimer)
    this.controller.abort()
    for (const sub of this.subscriptions.values()) sub.close()
    this.subscriptions.clear()
    this.store.release(this.owner)
    this.order.releaseWaiters()
  }
}
