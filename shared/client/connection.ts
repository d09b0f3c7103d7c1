// One TCP connection to a broker in binary mode: requests with ids, replies matched to them,
// `deliver` pushes handed to a callback. No reconnects here; HubqBackend decides what to do
// when a connection is lost.
import net from 'node:net'
import tls from 'node:tls'
import { FrameDecoder, MAX_FRAME_CEILING, encodeFrame } from '../protocol/codec.js'
import { ConnectionError, HubqError, fromWire } from './errors.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a reply is loose JSON: each caller reads the fields its op defines
export type Frame = Record<string, any>

interface Waiting {
  resolve: (reply: Frame) => void
  reject: (err: HubqError) => void
  /** Runs as the reply is parsed, before later frames of the same chunk (a subscribe's deliveries). */
  onReply: ((reply: Frame) => void) | undefined
}

export interface ConnectionEvents {
  onPush(frame: Frame): void
  onClose(reason: HubqError): void
}

export class Connection {
  private readonly decoder = new FrameDecoder(MAX_FRAME_CEILING)
  private readonly waiting = new Map<number, Waiting>()
  private nextId = 1
  private corked = false
  private closeReason: HubqError | undefined
  /** Nothing read yet: the first bytes tell a hubq broker from an HTTP server. */
  private first = true
  private heldHttp: Buffer | undefined

  private constructor(
    private readonly socket: net.Socket,
    private readonly events: ConnectionEvents,
    readonly where: string,
    private readonly scheme = 'hubq',
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => {
      this.closeReason ??= new ConnectionError(`connection to ${where} failed: ${err.message}`, { cause: err })
    })
    socket.on('close', () => this.onClose())
  }

  /** `secure` set: TLS (hubqs://), ready once the handshake is done and the certificate checked. */
  static open(
    host: string, port: number, events: ConnectionEvents, timeoutMs = 10_000,
    secure?: { ca?: string | Buffer; rejectUnauthorized?: boolean; servername?: string },
  ): Promise<Connection> {
    const where = `${host}:${port}`
    const scheme = secure ? 'hubqs' : 'hubq'
    return new Promise((resolve, reject) => {
      const socket = secure
        ? tls.connect({
          host, port, minVersion: 'TLSv1.2',
          // SNI carries host names only; an IP address is checked against the certificate as is.
          ...(secure.servername !== undefined ? { servername: secure.servername } : net.isIP(host) ? {} : { servername: host }),
          ...(secure.ca ? { ca: secure.ca } : {}),
          ...(secure.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
        }).setNoDelay(true)
        : net.connect({ host, port, noDelay: true })
      const fail = (err: Error): void => {
        socket.destroy()
        reject(new ConnectionError(`cannot connect to ${scheme}://${where}: ${err.message}`, { cause: err }))
      }
      socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs} ms`)))
      socket.once('error', fail)
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        socket.setTimeout(0)
        socket.off('error', fail)
        resolve(new Connection(socket, events, where, scheme))
      })
    })
  }

  get open(): boolean {
    return this.closeReason === undefined && !this.socket.destroyed
  }

  /** Sends one request; resolves with its `ok` reply, rejects with the broker's error as a HubqError. */
  request(frame: Frame, onReply?: (reply: Frame) => void): Promise<Frame> {
    if (!this.open) return Promise.reject(this.closeReason ?? new ConnectionError(`connection to ${this.where} is closed`))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, onReply })
      this.write(JSON.stringify({ ...frame, id }))
    })
  }

  close(): void {
    this.closeReason ??= new ConnectionError(`connection to ${this.where} was closed by the client`)
    this.socket.end()
    this.socket.destroySoon()
  }

  private write(json: string): void {
    // Requests made in one turn go out in one write (the broker does the same for replies).
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(() => {
        this.corked = false
        this.socket.uncork()
      })
    }
    this.socket.write(encodeFrame('binary', json))
  }

  private onData(chunk: Buffer): void {
    if (this.heldHttp || (this.first && chunk.subarray(0, 5).toString('latin1') === 'HTTP/')) return this.onHttp(chunk)
    this.first = false
    for (const event of this.decoder.push(chunk)) {
      if (event.kind !== 'frame') continue
      let frame: Frame
      try {
        frame = JSON.parse(event.text) as Frame
      } catch {
        this.fail(new HubqError('internal', `the broker at ${this.where} sent a frame that is not JSON`))
        return
      }
      if (frame.op === 'deliver') {
        this.events.onPush(frame)
        continue
      }
      const waiting = typeof frame.id === 'number' ? this.waiting.get(frame.id) : undefined
      if (!waiting) {
        // An error without a request to answer is about the connection (refused, shutting down).
        if (frame.ok === false) this.closeReason ??= asConnectionError(fromWire(frame.error), this.where)
        continue
      }
      this.waiting.delete(frame.id as number)
      if (frame.ok === true) {
        waiting.onReply?.(frame)
        waiting.resolve(frame)
      } else {
        waiting.reject(fromWire(frame.error))
      }
    }
  }

  /**
   * An HTTP reply to a binary frame: this is an HTTP server, likely hubq's own HTTP port, whose
   * 400 names the protocol port (PROTOCOL.md §11). Read until the reply ends, then say so.
   */
  private onHttp(chunk: Buffer): void {
    if (!this.heldHttp) this.socket.once('end', () => this.socket.destroy())
    this.heldHttp = Buffer.concat([this.heldHttp ?? Buffer.alloc(0), chunk]).subarray(0, 4096)
    const port = /the protocol port is (\d+)/.exec(this.heldHttp.toString('latin1'))?.[1]
    const message = port !== undefined
      ? `that is hubq's HTTP port; the protocol port is ${port}`
      : `that is an HTTP server, not a hubq broker (hubq's HTTP port? the protocol port is 7400 by default)`
    this.closeReason ??= new WrongPortError(`${this.scheme}://${this.where}: ${message}`)
    if (port !== undefined) this.socket.destroy()
  }

  private fail(reason: HubqError): void {
    this.closeReason ??= reason
    this.socket.destroy()
  }

  private onClose(): void {
    const reason = this.closeReason ?? new ConnectionError(`connection to ${this.where} closed`)
    this.closeReason = reason
    const lost = reason instanceof WrongPortError
      ? reason
      : new ConnectionError(`connection to ${this.where} closed before the broker answered (${reason.message})`, { cause: reason })
    for (const waiting of this.waiting.values()) waiting.reject(lost)
    this.waiting.clear()
    this.events.onClose(reason)
  }
}

/** The address answered, but it is not a hubq protocol port: retrying will not help. */
class WrongPortError extends ConnectionError {}

function asConnectionError(error: HubqError, where: string): HubqError {
  return error.code === 'unavailable' ? new ConnectionError(`broker at ${where}: ${error.message}`) : error
}
