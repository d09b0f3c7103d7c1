// A connection's way out: frames due in one event-loop turn leave as one write, a peer that
// stops reading stops the pushes and, after the write timeout, loses the connection
// (PROTOCOL.md §2 "Flow control").
import type { Duplex } from 'node:stream'
import { FrameWriter, piece } from '../../shared/protocol/frame-writer.js'
import { writeDelivery, type Delivery } from '../../shared/protocol/types.js'
import type { RequestId } from '../../shared/protocol/requests.js'
import type { Clock } from '../../shared/clock.js'
import type { Logger } from '../../shared/logger.js'
import type { Subscription } from '../store/types.js'
import type { RawFields } from '../handlers/types.js'

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

/** What the outbox needs of its connection. */
export interface OutboxHost {
  readonly subscriptions: Map<string, Subscription>
  /** False once the connection takes no more pushes (closed, or the client ended its side). */
  pushable(): boolean
  /** Writes changed what the socket holds: the connection decides again whether to read. */
  throttle(): void
}

export class Outbox {
  /** Frames due this event-loop turn, encoded as they come and written as one buffer when the turn ends. */
  readonly frames = new FrameWriter('text')
  /** Our side is ended (or the connection closed): nothing more is written. */
  muted = false
  /** Bytes (characters, while queued behind a reply) of deliveries not yet handed to the socket. */
  pushedChars = 0
  /** The opening of the last subscription's delivery frames, built once rather than per delivery. */
  pushPrefix = ''
  private pushSub = ''
  /** Subscriptions are paused because the socket holds more than PUSH_PAUSE_BYTES. */
  private pushesPaused = false
  private awaitingPushDrain = false
  /** The socket is corked: early pieces of this turn's frames wait for one writev (writeOut). */
  private corked = false
  private awaitingDrain = false
  private writeTimer: unknown

  constructor(
    private readonly stream: Duplex,
    private readonly host: OutboxHost,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly writeTimeoutMs: number,
  ) {}

  /** The subscription the next deliveries are for: its frames' opening is made when it changes. */
  pushingFor(sub: string): void {
    if (sub !== this.pushSub) {
      this.pushSub = sub
      this.pushPrefix = '{"op":"deliver","sub":"' + sub + '",'
    }
  }

  /** A consumer that does not read costs at most about PUSH_PAUSE_BYTES: pushes wait for the drain. */
  checkPushes(): void {
    if (!this.pushesPaused && !this.muted && this.stream.writableLength + this.pushedChars > PUSH_PAUSE_BYTES) this.pausePushes()
  }

  /** True while pushes wait for the socket to drain (a new subscription starts paused then). */
  get paused(): boolean {
    return this.pushesPaused
  }

  /** A whole frame made as text. */
  write(json: string): void {
    if (this.muted) return
    this.due()
    this.frames.frame(json)
    if (this.frames.full) this.writeOut()
  }

  /** A success reply written straight into the turn's frames: encodeReply's text without its string. */
  writeReply(id: RequestId, fields: RawFields | undefined): void {
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
      fields.writeTo(out)
    }
    out.bytes(END)
    out.end()
    if (out.full) this.writeOut()
  }

  /** A delivery written straight into the turn's frames (deliveryJson's text). */
  writeDelivery(delivery: Delivery): void {
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

  /** Writes what is due and then nothing more: pushes stop, since nothing can carry them. */
  mute(): void {
    this.flush()
    this.muted = true
  }

  /** The connection closed: the write deadline goes with it. */
  closed(): void {
    this.muted = true
    this.clock.clearTimeout(this.writeTimer)
  }

  /**
   * The socket's buffer is full: once, arms the write deadline and, at the drain, disarms it and
   * lets the connection decide again. Only a full buffer arms it, so a connection that keeps up
   * costs no timer.
   */
  awaitDrain(): void {
    if (!this.stream.writableNeedDrain || this.awaitingDrain) return
    this.awaitingDrain = true
    this.writeTimer = this.clock.setTimeout(this.onWriteTimeout, this.writeTimeoutMs)
    this.stream.once('drain', () => {
      this.awaitingDrain = false
      this.clock.clearTimeout(this.writeTimer)
      this.host.throttle()
    })
  }

  // The peer read nothing for the whole deadline: close it, so its unacked deliveries go back
  // to their queues (the close releases them) instead of waiting in a buffer nobody drains.
  private readonly onWriteTimeout = (): void => {
    if (this.stream.destroyed) return
    this.log.warn({ buffered: this.stream.writableLength, ms: this.writeTimeoutMs }, 'peer not reading, disconnecting (write timeout)')
    this.stream.destroy()
  }

  private pausePushes(): void {
    this.pushesPaused = true
    this.log.debug({ buffered: this.stream.writableLength + this.pushedChars }, 'write buffer full: pushes paused until it drains')
    for (const sub of this.host.subscriptions.values()) sub.pause()
  }

  private resumePushes(): void {
    this.pushesPaused = false
    if (this.muted || !this.host.pushable()) return
    for (const sub of this.host.subscriptions.values()) sub.resume()
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
    this.host.throttle()
  }
}
