// One connection: frames in, one handler per request, replies out in request order
// (PROTOCOL.md §2 "Envelope"). Accepts any duplex stream, so tests need no port.
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { FrameDecoder, modeOf, type FrameSink } from '../shared/protocol/codec.js'
import { FrameWriter, piece } from '../shared/protocol/frame-writer.js'
import { parseEnvelope, type Limits, type RequestId } from '../shared/protocol/requests.js'
import { deliveryJson, writeDelivery, type Delivery } from '../shared/protocol/types.js'
import { HubqError, toHubqError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { MessageStore, Owner, Subscription } from './store/types.js'
import { Later, RawFields, type BrokerInfo, type Handler, type ReplyFields, type Route, type SessionContext } from './handlers/types.js'
import { authorize } from './auth/permissions.js'
import { publish, publishFast } from './handlers/publish.js'
import type { FastPublish } from '../shared/protocol/fast-publish.js'
import type { Principal } from './auth/principal.js'
import type { AuthSettings } from './auth/settings.js'

/** A reply's place in request order, filled when its request settles (a queued push's at once). */
interface Slot {
  done: boolean
  id: RequestId
  /** Fields written when the slot's turn comes: only immutable ones wait as they are. */
  fields: RawFields | undefined
  /** The whole frame's JSON, when it was made as text (errors, pushes, object fields). */
  json: string | undefined
}

let nextSessionId = 0

/** Requests held behind an unsettled one before the session stops reading (see throttle). */
const MAX_HELD = 1024

/** Bytes waiting in the socket past which subscriptions stop pushing until it drains. */
export const PUSH_PAUSE_BYTES = 1024 * 1024

/** Early pieces of a turn's frames go to the kernel together once this many bytes are due (writeOut). */
const EARLY_WRITE_BYTES = 64 * 1024

/** The constant pieces of a success reply (writeReply). */
const OK = piece('{"ok":true')
const ID = piece('{"id":')
const ID_OK = piece(',"ok":true')
const COMMA = piece(',')
const END = piece('}')

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
}

export class Session implements SessionContext {
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
  private helloTimer: NodeJS.Timeout | undefined
  private readonly writeTimeoutMs: number
  private writeTimer: NodeJS.Timeout | undefined
  private readonly controller = new AbortController()
  private readonly decoder: FrameDecoder
  private readonly routes: Record<string, Route>
  private readonly pending: Slot[] = []
  /** Requests read while an earlier one is still running, run in order once it settles. */
  private readonly held: (string | FastPublish)[] = []
  private unresolved = 0
  /** Frames due this event-loop turn, encoded as they come and written as one buffer when the turn ends. */
  private readonly frames = new FrameWriter('text')
  private closed = false
  /** Our side is ended (or the connection closed): nothing more is written. */
  private muted = false
  /** The client ended its side: what it sent is answered, then the connection is closed. */
  private peerEnded = false
  /** Told once every request read so far has been answered (or the connection closed). */
  private readonly idleWaiters: (() => void)[] = []
  /** Set for good when the broker stops or the stream failed: nothing more is read. */
  private readingStopped = false
  private awaitingDrain = false
  /** Subscriptions are paused because the socket holds more than PUSH_PAUSE_BYTES. */
  private pushesPaused = false
  private awaitingPushDrain = false
  /** Bytes (characters, while queued behind a reply) of deliveries not yet handed to the socket. */
  private pushedChars = 0
  /** The socket is corked: early pieces of this turn's frames wait for one writev (writeOut). */
  private corked = false
  /** The last subscription pushed to and its frames' opening, built once rather than per delivery. */
  private pushSub = ''
  private pushPrefix = ''
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
    this.writeTimeoutMs = options.writeTimeoutMs ?? 30_000
    // Before a good `hello`, frames stay small and time is short: nothing big is buffered for,
    // and no socket is held, on behalf of someone who never proved who they are.
    this.decoder = new FrameDecoder(this.auth ? Math.min(this.auth.preAuthMaxFrame, options.limits.maxFrame) : options.limits.maxFrame)
    // The fast path skips what only the general one does: the auth gate, a handler table of the
    // caller's own, and shape limits too tight for a four-key request.
    this.decoder.recognisePublish = this.auth === undefined && options.routes.publish?.handler === publish &&
      options.limits.maxKeys >= 4 && options.limits.maxDepth >= 1
    if (this.auth) {
      this.helloTimer = setTimeout(this.onHelloTimeout, this.auth.helloTimeoutMs)
      this.helloTimer.unref()
    }
    this.underPressure = options.underPressure
    if (stream instanceof Socket) {
      // Keepalive finds half-open peers; the idle timeout closes connections nobody uses.
      stream.setKeepAlive(true, 30_000)
      if (options.idleTimeoutMs) {
        stream.setTimeout(options.idleTimeoutMs)
        stream.on('timeout', () => this.onIdleTimeout(options.idleTimeoutMs as number))
      }
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
    if (sub !== this.pushSub) {
      this.pushSub = sub
      this.pushPrefix = '{"op":"deliver","sub":"' + sub + '",'
    }
    if (this.pending.length === 0) {
      this.writeDelivery(delivery)
    } else {
      const json = deliveryJson(delivery, true, this.pushPrefix)
      this.pending.push({ done: true, id: undefined, fields: undefined, json })
      this.pushedChars += json.length
    }
    // A consumer that does not read costs at most about this much memory: pushes wait for the drain.
    if (!this.pushesPaused && !this.muted && this.stream.writableLength + this.pushedChars > PUSH_PAUSE_BYTES) this.pausePushes()
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
    if (this.muted) return
    this.flush()
    this.muted = true
    // Nothing more can be written, so nothing more is pushed: a push now would only be released.
    for (const sub of this.subscriptions.values()) sub.pause()
    this.stream.once('finish', () => this.stream.destroy())
    this.stream.end()
  }

  /** A new subscription (subscribe's handler): paused from the start while pushes wait. */
  subscribed(sub: Subscription): void {
    this.subscriptions.set(sub.id, sub)
    if (this.pushesPaused || this.peerEnded || this.muted) sub.pause()
  }

  // The client ended its side (a TCP half-close, as `nc -N` does when its input ends). Every
  // request read before it is answered, long polls and fsync waits included, and then the
  // connection is closed. A client that sends nothing more cannot ack, so its subscriptions push
  // nothing more, and what they pushed is released at the close (PROTOCOL.md §2 "Closing").
  private onPeerEnd(): void {
    if (this.closed || this.peerEnded) return
    this.peerEnded = true
    this.log.debug({ inFlight: this.pending.length }, 'client ended its side: answering what was read, then closing')
    for (const sub of this.subscriptions.values()) sub.pause()
    this.endWhenFlushed()
  }

  /** Runs `fn` once every request read so far has been answered, or the connection closed. */
  private whenAnswered(fn: () => void): void {
    if (this.pending.length === 0 || this.closed) fn()
    else this.idleWaiters.push(fn)
  }

  private onData(chunk: Buffer): void {
    // 0x16 0x03 opens a TLS handshake: a TLS client on a plaintext port is told so at once
    // instead of waiting for a line end that never comes (PROTOCOL.md §8).
    if (this.decoder.mode === undefined && chunk[0] === 0x16 && chunk[1] === 0x03) return this.refuseTls()
    // Replies go out in the mode the stream's first bytes chose, from its first frame on.
    if (this.decoder.mode === undefined) this.frames.mode = modeOf(chunk)
    this.decoder.each(chunk, this.sink)
    this.throttle()
  }

  /** What the decoder hands each frame to, as it reads it. */
  private readonly sink: FrameSink = {
    frame: (text) => this.onFrame(text),
    publish: (request) => this.onPublish(request),
    empty: () => this.answer(undefined, new HubqError('bad_request', 'empty frame: length must be at least 1')),
    tooLarge: (size, maxFrame) => {
      // The message names the cap the frame was held to: before a good hello on a broker with
      // auth that is the smaller pre-hello cap, not max-frame (PROTOCOL.md §7.1).
      const cap = maxFrame < this.limits.maxFrame
        ? `${maxFrame} bytes, the limit until a hello with a valid token`
        : `max-frame (${maxFrame} bytes)`
      const error = new HubqError('frame_too_large', `frame of ${size} bytes or more is larger than ${cap}; closing`)
      this.log.warn({ code: error.code, size }, 'frame too large, closing connection')
      this.answer(undefined, error)
      this.readingStopped = true
      this.stream.pause()
      this.endWhenFlushed()
    },
  }

  // A client that pipelines without reading its replies, or piles requests up behind a long
  // poll, must not make the broker buffer without end: reading stops until the replies drain
  // and the held requests have run, and TCP then pushes back on the client.
  private throttle(): void {
    if (this.closed) return
    const stream = this.stream
    const pressed = this.publisher && this.subscriptions.size === 0 && this.underPressure?.() === true
    if (this.readingStopped || stream.writableNeedDrain || this.held.length >= MAX_HELD || pressed) {
      if (!stream.isPaused()) stream.pause()
      if (stream.writableNeedDrain && !this.awaitingDrain) {
        this.awaitingDrain = true
        // Only a full buffer arms the deadline, so a connection that keeps up costs no timer.
        this.writeTimer = setTimeout(this.onWriteTimeout, this.writeTimeoutMs)
        stream.once('drain', () => {
          this.awaitingDrain = false
          clearTimeout(this.writeTimer)
          this.throttle()
        })
      }
    } else if (stream.isPaused()) {
      stream.resume()
    }
  }

  private onFrame(text: string): void {
    if (this.held.length > 0) {
      this.held.push(text)
      return
    }
    const envelope = parseEnvelope(text, this.limits)
    if (!envelope.ok) return this.answer(envelope.id, envelope.error)
    // Publishes pipeline freely; anything else waits for what came before it on this connection,
    // so a receive or stats sent after a publish sees that publish (read your writes).
    if (envelope.op === 'publish') this.publisher = true
    if (this.unresolved > 0 && envelope.op !== 'publish') {
      this.held.push(text)
      return
    }
    const route = Object.prototype.hasOwnProperty.call(this.routes, envelope.op) ? this.routes[envelope.op] : undefined
    if (!route) return this.answer(envelope.id, new HubqError('unknown_op', `unknown op ${JSON.stringify(envelope.op).slice(0, 80)}`))
    if (this.auth !== undefined) {
      const denied = this.principal === undefined
        ? (envelope.op === 'hello' || envelope.op === 'ping' ? undefined : new HubqError('unauthorized', `${envelope.op} needs a hello with a valid token first`))
        : authorize(this.principal, envelope.op, route.rule, envelope.obj, this.store)
      if (denied) return this.answer(envelope.id, denied)
    }
    let result: ReturnType<Handler>
    try {
      result = route.handler(envelope.obj, this)
    } catch (err) {
      return this.answer(envelope.id, err)
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
      return this.answer(request.id, err)
    }
    this.reply(request.id, result)
  }

  /** A handler's result: answered now, or its place in the reply order held until it settles. */
  private reply(id: RequestId, result: ReturnType<Handler>): void {
    if (result instanceof Later) this.await(id, result.promise, result.reply)
    else if (result instanceof Promise) this.await(id, result, undefined)
    else this.answer(id, undefined, result)
  }

  /** Holds a place for the reply in request order; it is filled when the promise settles. */
  private await<T>(id: RequestId, promise: Promise<T>, reply: ((value: T) => ReplyFields) | undefined): void {
    const slot: Slot = { done: false, id, fields: undefined, json: undefined }
    this.pending.push(slot)
    this.unresolved++
    promise.then(
      (value) => this.settled(slot, value, reply),
      (err: unknown) => {
        slot.json = this.encodeError(id, err)
        this.fill(slot)
      },
    )
  }

  private settled<T>(slot: Slot, value: T, reply: ((value: T) => ReplyFields) | undefined): void {
    let fields: ReplyFields
    if (reply === undefined) {
      fields = value as ReplyFields
    } else {
      try {
        fields = reply(value)
      } catch (err) {
        slot.json = this.encodeError(slot.id, err)
        return this.fill(slot)
      }
    }
    // An object is serialised now, as it is now; a reply waiting behind others might see it change.
    if (fields === undefined || fields instanceof RawFields) slot.fields = fields as RawFields | undefined
    else slot.json = encodeReply(slot.id, fields)
    this.fill(slot)
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
    clearTimeout(this.helloTimer)
    this.decoder.setMaxFrame(this.limits.maxFrame)
    this.log.info({ principal: principal.name }, 'authenticated')
  }

  private readonly onHelloTimeout = (): void => {
    if (this.principal || this.closed) return
    this.log.info('no valid hello in time, closing')
    this.stopAndEnd(new HubqError('unauthorized', `no hello with a valid token within ${this.auth?.helloTimeoutMs ?? 0} ms; closing`))
  }

  // The peer read nothing for the whole deadline: close it, so its unacked deliveries go back
  // to their queues (the close releases them) instead of waiting in a buffer nobody drains.
  private pausePushes(): void {
    this.pushesPaused = true
    this.log.debug({ buffered: this.stream.writableLength + this.pushedChars }, 'write buffer full: pushes paused until it drains')
    for (const sub of this.subscriptions.values()) sub.pause()
  }

  private resumePushes(): void {
    this.pushesPaused = false
    if (this.closed || this.peerEnded || this.muted) return
    for (const sub of this.subscriptions.values()) sub.resume()
  }

  /** The broker's memory pressure changed: pause or resume reading. */
  recheck(): void {
    this.throttle()
  }

  private onIdleTimeout(ms: number): void {
    // Quiet is fine while it waits for deliveries or for its own requests.
    if (this.closed || this.subscriptions.size > 0 || this.pending.length > 0) return
    this.log.info({ ms }, 'idle, closing')
    this.stopAndEnd(new HubqError('limit', `no traffic for ${ms} ms (--idle-timeout); closing`))
  }

  private readonly onWriteTimeout = (): void => {
    if (this.closed) return
    this.log.warn({ buffered: this.stream.writableLength, ms: this.writeTimeoutMs }, 'peer not reading, disconnecting (write timeout)')
    this.stream.destroy()
  }

  private refuseTls(): void {
    this.log.info('TLS handshake on a plaintext port, closing')
    this.stopAndEnd(new HubqError('bad_request', 'this port speaks plain hubq, not TLS (use hubq://, or start the broker with --tls-cert and --tls-key)'))
  }

  /** Answers with a last error (text mode unless binary was chosen), reads nothing more, closes. */
  private stopAndEnd(error: HubqError): void {
    this.answer(undefined, error)
    this.readingStopped = true
    this.stream.pause()
    this.endWhenFlushed()
  }

  private answer(id: RequestId, err: unknown, fields?: ReplyFields): void {
    if (err === undefined && this.pending.length === 0 && (fields === undefined || fields instanceof RawFields)) {
      return this.writeReply(id, fields as RawFields | undefined)
    }
    const json = err === undefined ? encodeReply(id, fields) : this.encodeError(id, err)
    if (this.pending.length === 0) this.write(json)
    else this.pending.push({ done: true, id, fields: undefined, json })
  }

  private fill(slot: Slot): void {
    slot.done = true
    this.unresolved--
    const pending = this.pending
    while (pending.length > 0 && (pending[0] as Slot).done) {
      const head = pending.shift() as Slot
      if (head.json !== undefined) this.write(head.json)
      else this.writeReply(head.id, head.fields)
    }
    // Reading only needs a second look when held requests ran (it may have stopped for them):
    // a full write buffer is looked after by flush and the drain, memory pressure by recheck.
    if (this.unresolved === 0 && this.held.length > 0 && !this.closed) {
      do {
        const held = this.held.splice(0)
        for (const item of held) {
          if (typeof item === 'string') this.onFrame(item)
          else this.onPublish(item)
        }
      } while (this.unresolved === 0 && this.held.length > 0 && !this.closed)
      this.throttle()
    }
    if (this.pending.length === 0 && this.idleWaiters.length > 0) {
      for (const idle of this.idleWaiters.splice(0)) idle()
    }
  }

  private encodeError(id: RequestId, err: unknown): string {
    const error = toHubqError(err)
    if (error.code === 'internal') this.log.error({ err: error.cause ?? error }, 'internal error')
    else this.log.debug({ code: error.code, message: error.message }, 'request failed')
    return JSON.stringify({ id, ok: false, error: error.toWire() })
  }

  private write(json: string): void {
    if (this.muted) return
    this.due()
    this.frames.frame(json)
    if (this.frames.full) this.writeOut()
  }

  /** A success reply written straight into the turn's frames: encodeReply's text without its string. */
  private writeReply(id: RequestId, fields: RawFields | undefined): void {
    if (this.muted) return
    this.due()
    const out = this.frames
    out.begin()
    if (id === undefined) {
      out.bytes(OK)
    } else {
      out.bytes(ID)
      if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) out.number(id)
      else out.text(JSON.stringify(id))
      out.bytes(ID_OK)
    }
    if (fields !== undefined) {
      out.bytes(COMMA)
      out.text(fields.json)
    }
    out.bytes(END)
    out.end()
    if (out.full) this.writeOut()
  }

  /** A delivery written straight into the turn's frames (deliveryJson's text). */
  private writeDelivery(delivery: Delivery): void {
    if (this.muted) return
    this.due()
    const out = this.frames
    const before = out.length
    out.begin()
    writeDelivery(out, delivery, true, this.pushPrefix)
    out.end()
    this.pushedChars += out.length - before
    if (out.full) this.writeOut()
  }

  /** Frames are about to be added: the turn's end writes them. */
  private due(): void {
    if (this.frames.length === 0) process.nextTick(this.flush)
  }

  /**
   * The writer is full: its frames go to the socket now, so its buffer never grows (the rest go
   * at the turn's end, see flush). Pieces taken early wait corked until EARLY_WRITE_BYTES of them
   * are due, then go out in one writev: a window of a thousand deliveries and acks overlaps
   * instead of alternating whole between the two sides, and the peer reads 64 KiB at a time, not
   * 12 (smaller reads cost the reading client about an eighth more CPU per message).
   */
  private writeOut(): void {
    if (!this.corked) {
      this.stream.cork()
      this.corked = true
    }
    this.handOver()
    if (this.stream.writableLength >= EARLY_WRITE_BYTES) this.uncork()
  }

  /** The frames due so far go to the socket as one buffer. */
  private handOver(): void {
    this.stream.write(this.frames.take())
    this.pushedChars = 0
  }

  private uncork(): void {
    this.corked = false
    this.stream.uncork()
  }

  private readonly flush = (): void => {
    if (this.muted) {
      this.frames.clear()
      return
    }
    if (this.frames.length > 0) this.handOver()
    if (this.corked) this.uncork()
    if (this.pushesPaused && !this.awaitingPushDrain) {
      if (!this.stream.writableNeedDrain) this.resumePushes()
      else {
        this.awaitingPushDrain = true
        this.stream.once('drain', () => {
          this.awaitingPushDrain = false
          this.resumePushes()
        })
      }
    }
    // The write may have filled the socket's buffer: reading waits for it to drain.
    this.throttle()
  }

  // The connection is closed outright (not just half-closed), so a client that keeps its side
  // open cannot hold the socket (PROTOCOL.md §1).
  private endWhenFlushed(): void {
    this.whenAnswered(() => this.end())
  }

  private onClose(): void {
    if (this.closed) return
    this.closed = true
    this.muted = true
    clearTimeout(this.helloTimer)
    clearTimeout(this.writeTimer)
    this.controller.abort()
    for (const sub of this.subscriptions.values()) sub.close()
    this.subscriptions.clear()
    this.store.release(this.owner)
    for (const idle of this.idleWaiters.splice(0)) idle()
  }
}

function encodeReply(id: RequestId, fields: ReplyFields): string {
  const head = id === undefined ? '{"ok":true' : '{"id":' + JSON.stringify(id) + ',"ok":true'
  if (fields === undefined) return head + '}'
  if (fields instanceof RawFields) return head + ',' + fields.json + '}'
  const rest = JSON.stringify(fields)
  return rest.length > 2 ? head + ',' + rest.slice(1) : head + '}'
}
