// Starts a real broker on 127.0.0.1:0 (in this process) and talks to it over real TCP.
import net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broker } from '../../broker/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal, type Journal } from '../../broker/store/journal.js'
import type { MessageStore } from '../../broker/store/types.js'
import type { AuthSettings } from '../../broker/auth/settings.js'
import type { Clock } from '../../shared/clock.js'
import type { Limits } from '../../shared/protocol/requests.js'
import { FrameDecoder, encodeFrame, type FrameMode } from '../../shared/protocol/codec.js'
import type { Logger } from '../../shared/logger.js'

export interface TestBroker {
  broker: Broker
  port: number
  stop(): Promise<void>
}

export async function startBroker(options: {
  store?: MessageStore
  journal?: Journal
  clock?: Clock
  limits?: Partial<Limits>
  log?: Logger
  auth?: AuthSettings
  /** Where to listen; a free port by default. */
  port?: number
} = {}): Promise<TestBroker> {
  const store = options.store ?? new LocalStore({
    journal: options.journal ?? new MemoryJournal(),
    ...(options.clock ? { clock: options.clock } : {}),
  })
  const broker = new Broker({
    store, ...(options.clock ? { clock: options.clock } : {}), ...(options.limits ? { limits: options.limits } : {}), ...(options.log ? { log: options.log } : {}), ...(options.auth ? { auth: options.auth } : {}),
  })
  const { port } = await broker.start(options.port ?? 0)
  return { broker, port, stop: () => broker.stop() }
}

export function tempDir(prefix = 'hubq-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A decoded JSON object (a frame, a log line), read loosely: a test reaches for any field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one loose type the tests share, so each assertion needs no cast
export type Frame = Record<string, any>

/** A raw protocol client: request() resolves with the next reply; pushes land in `deliveries`. */
export class TestClient {
  readonly deliveries: Frame[] = []
  private readonly replies: Frame[] = []
  private readonly replyWaiters: ((f: Frame) => void)[] = []
  private readonly deliveryWaiters: (() => void)[] = []
  private readonly decoder = new FrameDecoder(16 * 1024 * 1024 - 1)
  readonly closed: Promise<void>

  private constructor(readonly socket: net.Socket, readonly mode: FrameMode) {
    socket.on('data', (chunk) => {
      for (const event of this.decoder.push(chunk)) {
        if (event.kind !== 'frame') continue
        const frame = JSON.parse(event.text) as Frame
        if (frame.op === 'deliver') {
          this.deliveries.push(frame)
          for (const w of this.deliveryWaiters.splice(0)) w()
        } else {
          const waiter = this.replyWaiters.shift()
          if (waiter) waiter(frame)
          else this.replies.push(frame)
        }
      }
    })
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
  }

  static async connect(port: number, mode: FrameMode = 'binary'): Promise<TestClient> {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new TestClient(socket, mode)
  }

  send(frame: Frame): void {
    this.socket.write(encodeFrame(this.mode, JSON.stringify(frame)))
  }

  /** The next reply frame (in order). */
  reply(): Promise<Frame> {
    const ready = this.replies.shift()
    if (ready) return Promise.resolve(ready)
    return new Promise((resolve) => this.replyWaiters.push(resolve))
  }

  async request(frame: Frame): Promise<Frame> {
    this.send(frame)
    return this.reply()
  }

  /** Resolves once at least `count` deliveries have arrived in total. */
  async waitDeliveries(count: number): Promise<Frame[]> {
    while (this.deliveries.length < count) {
      await new Promise<void>((resolve) => this.deliveryWaiters.push(resolve))
    }
    return this.deliveries
  }

  close(): Promise<void> {
    this.socket.end()
    return this.closed
  }
}

/** A broker on `store` or `journal` (and `clock`) with one connected client; `stop` runs once, at teardown at the latest. */
export async function openWithClient(
  t: { teardown(fn: () => unknown): void },
  options: { store?: MessageStore; journal?: Journal; clock?: Clock } = {},
): Promise<{ b: TestBroker; c: TestClient; stop(): Promise<void> }> {
  const b = await startBroker(options)
  const c = await TestClient.connect(b.port)
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await c.close()
    await b.stop()
  }
  t.teardown(stop)
  return { b, c, stop }
}

/** Receives (100 at a time) and acks until `queue` has nothing ready; the mids in the order they came. */
export async function drain(c: TestClient, queue: string, each?: () => void): Promise<string[]> {
  const out: string[] = []
  for (;;) {
    const got = (await c.request({ op: 'receive', queue, max: 100 })).messages as Frame[]
    if (got.length === 0) return out
    out.push(...got.map((m) => m.mid as string))
    await c.request({ op: 'ack', receipts: got.map((m) => m.receipt) })
    each?.()
  }
}
