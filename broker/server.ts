// The broker: a net server handing each connection to a Session (PROTOCOL.md §1–§2).
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { HubqError } from '../shared/errors.js'
import { encodeFrame, modeOf } from '../shared/protocol/codec.js'
import { DEFAULT_LIMITS, type Limits } from '../shared/protocol/requests.js'
import { silentLogger, type Logger } from '../shared/logger.js'
import type { MessageStore } from './store/types.js'
import { routes } from './handlers/index.js'
import { VERSION } from '../shared/version.js'
import { Session } from './session.js'
import type { BrokerInfo } from './handlers/types.js'
import type { AuthSettings } from './auth/settings.js'
import { createListener, type TlsFiles } from './net/listener.js'
import type { FaceServer } from './face/server.js'
import { systemClock, type Clock } from '../shared/clock.js'

export { VERSION }

export interface BrokerOptions {
  store: MessageStore
  limits?: Partial<Limits>
  log?: Logger
  /** Metrics (broker/http/metrics.ts); told once per connection and per publish, never per frame. */
  metrics?: BrokerMetricsSink
  /** Tokens and their rights; without it every connection may do everything (PROTOCOL.md §7). */
  auth?: AuthSettings
  /** Serve TLS instead of plain TCP, on the same protocol (PROTOCOL.md §8). */
  tls?: TlsFiles
  /** Milliseconds a peer may leave a full write buffer unread before it is disconnected (default 30000). */
  writeTimeoutMs?: number
  /** Milliseconds of silence after which a connection without subscriptions is closed (0 = never). */
  idleTimeoutMs?: number
  /** Past `highBytes` of RSS the broker stops reading publishing connections until it falls back. */
  memory?: { highBytes: number; read?: () => number; checkEveryMs?: number }
  /** Serve the SQS/SNS face on this port too (PROTOCOL.md §12); `required` false: a taken port is a warning. */
  sqs?: SqsFaceSettings
  /** Every timer and timestamp of the broker and its connections (the store takes its own). */
  clock?: Clock
}

export interface SqsFaceSettings {
  port: number
  host?: string
  required?: boolean
  /** Where the face keeps what a hubq queue does not hold (attributes, tags, subscriptions). */
  stateFile?: string
}

export interface BrokerMetricsSink {
  connectionOpened(stream: Duplex): void
  connectionClosed(stream: Duplex): void
  publishConfirmed(seconds: number): void
}

/** One open connection as the console lists it (PROTOCOL.md §7.4). */
export interface ConnectionInfo {
  /** The connection's number in log lines (`conn`) and its Owner id in the store. */
  id: number
  /** The `client` its hello named, if any. */
  client?: string
  /** host:port of the peer. */
  address: string
  openedAt: number
  /** Ids of its subscriptions. */
  subscriptions: string[]
  bytesIn: number
  bytesOut: number
}

export class Broker {
  readonly store: MessageStore
  readonly limits: Limits
  readonly log: Logger
  private readonly sessions = new Set<Session>()
  /** Where each connection came from and its stream, for connectionList(). */
  private readonly peers = new Map<Session, { address: string; stream: Duplex; openedAt: number }>()
  private readonly server: net.Server
  private readonly info: BrokerInfo
  private stopping: Promise<void> | undefined
  private readonly metrics: BrokerMetricsSink | undefined
  readonly auth: AuthSettings | undefined
  private readonly writeTimeoutMs: number | undefined
  private readonly idleTimeoutMs: number
  private readonly memory: { highBytes: number; read: () => number } | undefined
  private memoryTimer: unknown
  private readonly memoryEveryMs: number
  readonly clock: Clock
  /** RSS is past the high watermark: publishers wait, consumers drain. */
  underPressure = false
  private readonly sqs: SqsFaceSettings | undefined
  private face: FaceServer | undefined

  constructor(options: BrokerOptions) {
    this.store = options.store
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.log = options.log ?? silentLogger
    this.metrics = options.metrics
    this.clock = options.clock ?? systemClock
    this.info = { version: VERSION, startedAt: this.clock.now(), now: () => this.clock.now(), connections: () => this.sessions.size }
    if (this.metrics) this.info.publishConfirmed = this.metrics.publishConfirmed.bind(this.metrics)
    this.auth = options.auth
    this.writeTimeoutMs = options.writeTimeoutMs
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0
    this.sqs = options.sqs
    if (options.memory && options.memory.highBytes > 0) {
      this.memory = { highBytes: options.memory.highBytes, read: options.memory.read ?? (() => process.memoryUsage.rss()) }
    }
    this.memoryEveryMs = options.memory?.checkEveryMs ?? 500
    if (this.memory) this.memoryTimer = this.clock.setTimeout(this.memoryTick, this.memoryEveryMs)
    this.server = createListener((socket) => this.handle(socket, `${socket.remoteAddress}:${socket.remotePort}`), options.tls, this.log, this.clock)
  }

  /** Opens the store and listens; resolves with the bound address (port 0 picks a free one). */
  async start(port: number, host = '127.0.0.1'): Promise<{ host: string; port: number }> {
    await this.store.open()
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    const address = this.server.address() as net.AddressInfo
    if (this.sqs) await this.startFace(this.sqs, host)
    return { host: address.address, port: address.port }
  }

  /** Where the SQS/SNS face listens, when it does. */
  get sqsAddress(): { host: string; port: number } | undefined {
    return this.face ? { host: this.face.host, port: this.face.port } : undefined
  }

  /** The SQS/SNS face, when it serves. */
  get sqsFace(): FaceServer | undefined {
    return this.face
  }

  // Loaded only when asked for, like the HTTP side.
  private async startFace(settings: SqsFaceSettings, host: string): Promise<void> {
    const { startFace } = await import('./face/server.js')
    try {
      this.face = await startFace({ store: this.store, limits: this.limits, log: this.log, now: () => this.clock.now(), port: settings.port, host: settings.host ?? host, ...(settings.stateFile !== undefined ? { stateFile: settings.stateFile } : {}), ...(this.auth ? { tokens: this.auth.tokens } : {}) })
    } catch (err) {
      if (settings.required !== false || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await this.stop()
        throw new Error(`cannot serve SQS/SNS on ${settings.host ?? host}:${settings.port}: ${(err as Error).message} (--sqs-port 0 turns it off)`)
      }
      this.log.warn({ sqsPort: settings.port }, `hubq sqs/sns off: port ${settings.port} is taken (--sqs-port picks another)`)
      return
    }
    const where = `http://${this.face.host}:${this.face.port}`
    this.log.info({ host: this.face.host, sqsPort: this.face.port }, `hubq sqs/sns on ${where}`)
  }

  /** True while listening and not stopping (GET /healthz). */
  get accepting(): boolean {
    return this.server.listening && !this.stopping
  }

  get connections(): number {
    return this.sessions.size
  }

  /** Every open connection: client name, address, subscriptions and bytes so far (the console). */
  connectionList(): ConnectionInfo[] {
    const out: ConnectionInfo[] = []
    for (const [session, { address, stream, openedAt }] of this.peers) {
      const counting = stream as { bytesRead?: number; bytesWritten?: number }
      out.push({
        id: session.owner.id,
        ...(session.clientName !== undefined ? { client: session.clientName } : {}),
        address, openedAt,
        subscriptions: [...session.subscriptions.keys()],
        bytesIn: counting.bytesRead ?? 0,
        bytesOut: counting.bytesWritten ?? 0,
      })
    }
    return out
  }

  /** Serves one connection on any duplex stream. */
  handle(stream: Duplex, peer = 'stream'): void {
    if (this.stopping || this.sessions.size >= this.limits.maxConnections) {
      const error = this.stopping
        ? new HubqError('unavailable', 'broker is shutting down')
        : new HubqError('limit', `too many connections (max-connections ${this.limits.maxConnections})`)
      this.log.warn({ peer, code: error.code }, 'connection refused')
      refuse(stream, JSON.stringify({ ok: false, error: error.toWire() }), this.clock)
      return
    }
    const session = new Session(stream, { store: this.store, limits: this.limits, info: this.info, log: this.log, routes, clock: this.clock, ...(this.auth ? { auth: this.auth } : {}), ...(this.writeTimeoutMs !== undefined ? { writeTimeoutMs: this.writeTimeoutMs } : {}), idleTimeoutMs: this.idleTimeoutMs, underPressure: this.pressure })
    this.sessions.add(session)
    this.peers.set(session, { address: peer, stream, openedAt: this.clock.now() })
    this.metrics?.connectionOpened(stream)
    session.log.info({ peer }, 'connection open')
    stream.on('close', () => {
      this.sessions.delete(session)
      this.peers.delete(session)
      this.metrics?.connectionClosed(stream)
      session.log.info({ peer }, 'connection closed')
    })
  }

  private readonly pressure = (): boolean => this.underPressure

  private readonly memoryTick = (): void => {
    this.checkMemory()
    if (!this.stopping) this.memoryTimer = this.clock.setTimeout(this.memoryTick, this.memoryEveryMs)
  }

  /** Reads RSS against the high watermark; on a change, every connection pauses or resumes reading. */
  checkMemory(): void {
    if (!this.memory) return
    const rss = this.memory.read()
    const high = rss > this.memory.highBytes
    if (high === this.underPressure) return
    this.underPressure = high
    if (high) this.log.warn({ rss, highBytes: this.memory.highBytes }, 'memory past the high watermark: publishers wait, consumers drain')
    else this.log.info({ rss }, 'memory below the high watermark again: publishers resume')
    for (const session of this.sessions) session.recheck()
  }

  /** Stops accepting, answers what was already read, closes every connection and the store. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.clock.clearTimeout(this.memoryTimer)
      // The face first: its long polls answer at once, as the sessions' do.
      const faceClosed = this.face?.close()
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
      await Promise.all([...this.sessions].map((s) => s.drain()))
      for (const session of this.sessions) session.end()
      await closed
      await faceClosed
      await this.store.close()
    })()
    return this.stopping
  }
}

/** How long a refused connection is given to send its first bytes, which say the mode to refuse it in. */
export const REFUSAL_WAIT_MS = 100

/**
 * Answers a connection that is not served, then closes it: in the client's frame mode when its
 * first bytes come within REFUSAL_WAIT_MS (clients speak first), as a text line otherwise.
 */
function refuse(stream: Duplex, json: string, clock: Clock): void {
  let done = false
  const answer = (chunk?: Buffer): void => {
    if (done) return
    done = true
    clock.clearTimeout(timer)
    // The stream keeps flowing (what else the client sends is dropped), so unread bytes cannot
    // turn the close into a reset that loses the refusal.
    stream.end(encodeFrame(chunk && chunk.length > 0 ? modeOf(chunk) : 'text', json))
  }
  const timer = clock.setTimeout(() => answer(), REFUSAL_WAIT_MS)
  stream.once('data', (chunk: Buffer) => answer(chunk))
  stream.on('error', () => clock.clearTimeout(timer))
  stream.once('close', () => clock.clearTimeout(timer))
}
