// Model-based test of the local store: random sequences of publish, receive, ack, nack, touch,
// clock jumps and restarts (on the durable log, in a file system in memory) run against a small
// reference model of the contract's semantics (PROTOCOL.md §6), compared after every step.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { ManualClock } from '../../../shared/clock.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import type { Delivery } from '../../../shared/protocol/types.js'
import { MemoryFs } from '../log/fixture.js'

const QUEUE = 'work'
const DEAD = 'work.dead'
const MAX_RECEIVES = 3
const VISIBILITY_MS = 30_000

interface ModelMessage {
  body: number
  queue: string
  receives: number
  /** Epoch ms it becomes visible (delay, nack delay); in flight until `until` when `receipt` is set. */
  visibleAt: number
  receipt?: string
  until?: number
}

class Model {
  readonly messages = new Map<string, ModelMessage>()
  /** Receipts handed out, live or not: a command may use a stale one. */
  readonly receipts: string[] = []
  constructor(public now: number) {}

  visible(queue: string): ModelMessage[] {
    return [...this.messages.values()].filter((m) => m.queue === queue && m.receipt === undefined && m.visibleAt <= this.now)
  }

  counts(queue: string): { ready: number; inflight: number; delayed: number } {
    let ready = 0
    let inflight = 0
    let delayed = 0
    for (const m of this.messages.values()) {
      if (m.queue !== queue) continue
      if (m.receipt !== undefined) inflight++
      else if (m.visibleAt > this.now) delayed++
      else ready++
    }
    return { ready, inflight, delayed }
  }

  byReceipt(receipt: string): [string, ModelMessage] | undefined {
    for (const entry of this.messages) if (entry[1].receipt === receipt) return entry
    return undefined
  }

  /** A release (nack, timeout, restart): back to its queue, or on to the dead letters past maxReceives. */
  release(message: ModelMessage, delayMs: number): void {
    message.receipt = undefined
    message.until = undefined
    if (message.queue === QUEUE && message.receives >= MAX_RECEIVES) {
      message.queue = DEAD
      message.visibleAt = 0
    } else {
      message.visibleAt = this.now + delayMs
    }
  }

  advance(ms: number): void {
    this.now += ms
    for (const m of this.messages.values()) {
      if (m.receipt !== undefined && (m.until as number) <= this.now) this.release(m, 0)
    }
  }
}

interface Real {
  clock: ManualClock
  fs: MemoryFs
  store: LocalStore
  /** mid -> body, to name messages in the model. */
  bodies: Map<string, number>
  /** The store's --bodies-in-memory: how deep a queue gets before the rest is its backlog. */
  bodiesInMemory?: number
}

async function open(real: Omit<Real, 'store'> & { store?: LocalStore }): Promise<Real> {
  const store = new LocalStore({
    journal: new LogJournal({ dir: '/data', fs: real.fs, segmentBytes: 4096 }), clock: real.clock,
    ...(real.bodiesInMemory !== undefined ? { bodiesInMemory: real.bodiesInMemory } : {}),
  })
  await store.open()
  return { ...real, store }
}

type Command = fc.AsyncCommand<Model, Real>

async function compare(model: Model, real: Real): Promise<void> {
  for (const queue of [QUEUE, DEAD]) {
    const stats = (await real.store.stats()).queues.find((q) => q.queue === queue)
    const expected = model.counts(queue)
    const got = stats ? { ready: stats.ready, inflight: stats.inflight, delayed: stats.delayed } : { ready: 0, inflight: 0, delayed: 0 }
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`${queue}: store ${JSON.stringify(got)}, model ${JSON.stringify(expected)}`)
    }
  }
}

let nextBody = 0

/** How many messages the queue keeps as a range of the log, not as objects (the store's own count). */
function backlogSize(store: LocalStore): number {
  return store.engine.queues.get(QUEUE)?.backlog.size ?? 0
}

class Publish implements Command {
  /** Publishes after which the queue had a backlog: the runs with a small bodies-in-memory must have some. */
  static intoBacklog = 0
  constructor(readonly delaySeconds: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const body = nextBody++
    const [mid] = await real.store.publish({ queue: QUEUE }, [{ bodyJson: String(body), delay: this.delaySeconds }])
    real.bodies.set(mid as string, body)
    if (backlogSize(real.store) > 0) Publish.intoBacklog++
    model.messages.set(mid as string, { body, queue: QUEUE, receives: 0, visibleAt: model.now + this.delaySeconds * 1000 })
    await compare(model, real)
  }
  toString(): string {
    return `publish(delay ${this.delaySeconds})`
  }
}

class Receive implements Command {
  constructor(readonly queue: string, readonly max: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const visible = model.visible(this.queue)
    const got = (await real.store.receive(this.queue, { max: this.max, wait: 0, owner: { id: 1 } })) as Delivery[]
    const expected = Math.min(this.max, visible.length)
    if (got.length !== expected) throw new Error(`receive ${this.queue}: got ${got.length}, model has ${visible.length} visible (max ${this.max})`)
    for (const delivery of got) {
      const message = model.messages.get(delivery.mid)
      if (!message || message.queue !== this.queue || message.receipt !== undefined || message.visibleAt > model.now) {
        throw new Error(`receive delivered ${delivery.mid}, which the model does not have visible in ${this.queue}`)
      }
      message.receives++
      if (delivery.receives !== message.receives) throw new Error(`receives ${delivery.receives}, model ${message.receives}`)
      if (delivery.bodyJson !== String(message.body)) throw new Error(`body ${delivery.bodyJson}, model ${message.body}`)
      message.receipt = delivery.receipt
      message.until = model.now + VISIBILITY_MS
      model.receipts.push(delivery.receipt)
    }
    await compare(model, real)
  }
  toString(): string {
    return `receive(${this.queue}, ${this.max})`
  }
}

/** Settles the n-th receipt handed out so far (modulo their number): live or stale. */
abstract class Settle implements Command {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.receipts.length > 0
  }
  async run(model: Model, real: Real): Promise<void> {
    const receipt = model.receipts[this.pick % model.receipts.length] as string
    const held = model.byReceipt(receipt)
    let code: string | undefined
    try {
      await this.settle(real, receipt)
    } catch (err) {
      code = (err as { code?: string }).code
    }
    if (!held) {
      if (code !== 'unknown_receipt') throw new Error(`${this} with a stale receipt: ${code ?? 'ok'}, not unknown_receipt`)
    } else {
      if (code !== undefined) throw new Error(`${this} with a live receipt failed: ${code}`)
      Settle.live++
      this.apply(model, held[0], held[1])
    }
    await compare(model, real)
  }
  abstract settle(real: Real, receipt: string): unknown
  static live = 0
  abstract apply(model: Model, mid: string, message: ModelMessage): void
}

class Ack extends Settle {
  settle(real: Real, receipt: string): unknown {
    return real.store.ack([receipt])
  }
  apply(model: Model, mid: string): void {
    model.messages.delete(mid)
  }
  override toString(): string {
    return `ack(#${this.pick})`
  }
}

class Nack extends Settle {
  constructor(pick: number, readonly delaySeconds: number) {
    super(pick)
  }
  settle(real: Real, receipt: string): unknown {
    return real.store.nack(receipt, this.delaySeconds)
  }
  apply(model: Model, _mid: string, message: ModelMessage): void {
    model.release(message, this.delaySeconds * 1000)
  }
  override toString(): string {
    return `nack(#${this.pick}, delay ${this.delaySeconds})`
  }
}

class Touch extends Settle {
  constructor(pick: number, readonly seconds: number) {
    super(pick)
  }
  settle(real: Real, receipt: string): unknown {
    return real.store.touch(receipt, this.seconds)
  }
  apply(model: Model, _mid: string, message: ModelMessage): void {
    if (this.seconds === 0) model.release(message, 0)
    else message.until = model.now + this.seconds * 1000
  }
  override toString(): string {
    return `touch(#${this.pick}, ${this.seconds})`
  }
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    real.clock.advance(this.ms)
    model.advance(this.ms)
    await compare(model, real)
  }
  toString(): string {
    return `advance(${this.ms} ms)`
  }
}

class Restart implements Command {
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    await real.store.close()
    const reopened = await open(real)
    real.store = reopened.store
    // A restart releases what was in flight, receive counts kept (PROTOCOL.md §9): visible again,
    // or on to the dead letters once delivered maxReceives times (§6.5); no receipt survives.
    for (const message of model.messages.values()) {
      if (message.receipt !== undefined) model.release(message, 0)
    }
    await compare(model, real)
  }
  toString(): string {
    return 'restart'
  }
}

const commands = [
  fc.integer({ min: 0, max: 3 }).map((delay) => new Publish(delay === 3 ? 60 : 0)),
  fc.tuple(fc.constantFrom(QUEUE, QUEUE, DEAD), fc.integer({ min: 1, max: 3 })).map(([queue, max]) => new Receive(queue, max)),
  fc.nat().map((pick) => new Ack(pick)),
  fc.tuple(fc.nat(), fc.constantFrom(0, 0, 10)).map(([pick, delay]) => new Nack(pick, delay)),
  fc.tuple(fc.nat(), fc.constantFrom(0, 5, 120)).map(([pick, seconds]) => new Touch(pick, seconds)),
  fc.constantFrom(1_000, 11_000, 31_000, 61_000).map((ms) => new Advance(ms)),
  fc.constant(new Restart()),
]

/** 150 random runs against the model; `bodiesInMemory` small puts most of a queue in its backlog. */
async function runs(t: Test, bodiesInMemory?: number): Promise<void> {
  let done = 0
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'max' }), async (cmds) => {
      const clock = new ManualClock(1_700_000_000_000)
      const real = await open({ clock, fs: new MemoryFs(), bodies: new Map(), ...(bodiesInMemory !== undefined ? { bodiesInMemory } : {}) })
      await real.store.declare({ queue: QUEUE, maxReceives: MAX_RECEIVES, deadLetter: DEAD, visibilityTimeout: VISIBILITY_MS / 1000 })
      await real.store.declare({ queue: DEAD })
      const model = new Model(clock.now())
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds)
      } finally {
        await real.store.close()
      }
      done++
    }),
    { numRuns: 150 },
  )
  t.equal(done, 150, 'every run matched the model')
}

t.test('the local store on the durable log behaves as the model, restarts included', async (t) => {
  await runs(t)
  t.comment(`settles with a live receipt: ${Settle.live}`)
})

t.test('the same with a queue deeper than --bodies-in-memory: its backlog read ahead, checkpoints, restarts', async (t) => {
  Publish.intoBacklog = 0
  await runs(t, 2)
  t.ok(Publish.intoBacklog > 100, `publishes that found a backlog: ${Publish.intoBacklog}`)
})
