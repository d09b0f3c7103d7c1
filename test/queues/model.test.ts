// Model-based test of the queue engine alone, no log and no file system: random sequences of
// publish, receive, ack, nack, touch and clock jumps (a ManualClock) over a standard queue with
// retention, a fifo queue with groups and a dedup window, both with maxReceives and one
// dead-letter queue, run against a small reference model of the contract's semantics
// (PROTOCOL.md §6) and compared after every step. The port records what the engine writes.
import t from 'tap'
import fc from 'fast-check'
import { ManualClock } from '../../shared/clock.js'
import type { Delivery } from '../../shared/protocol/types.js'
import { QueueEngine } from '../../broker/queues/engine.js'
import type { EnginePort } from '../../broker/queues/port.js'
import type { EngineRecord } from '../../broker/queues/records.js'
import type { Queue } from '../../broker/queues/queue.js'
import { accept, oneRecord, publishOne } from '../../broker/queues/publish.js'
import { placeNew } from '../../broker/queues/placement.js'
import { receive } from '../../broker/queues/consumers.js'
import { ack, nack, touch } from '../../broker/queues/settle.js'
import { DEDUP_WINDOW_MS, expireDue } from '../../broker/queues/retention.js'

const WORK = 'work'
const FIFO = 'orders'
const DEAD = 'dead'
const QUEUES = [WORK, FIFO, DEAD]
const VISIBILITY_MS = 30_000
const MAX_RECEIVES: Record<string, number> = { [WORK]: 3, [FIFO]: 2 }
/** The standard queue's retention: a few minutes, so that runs reach it. */
const RETENTION_MS = 240_000
const OWNER = { id: 1 }

interface ModelMessage {
  queue: string
  body: number
  group: string | undefined
  publishedAt: number
  /** Publish order within the model (ids grow with it). */
  seq: number
  receives: number
  /** Epoch ms it becomes visible (delay, nack delay); in flight until `until` when `receipt` is set. */
  visibleAt: number
  receipt?: string
  until?: number
}

/** How often each rule came into play over all runs: a model that never reaches one tests nothing of it. */
const reached = { deadLettered: 0, expired: 0, duplicates: 0, groupsHeld: 0 }

class Model {
  readonly messages = new Map<string, ModelMessage>()
  /** dedupId -> the mid it was first published under and when (the fifo queue's window). */
  readonly dedup = new Map<string, { mid: string; at: number }>()
  readonly receipts: string[] = []
  private seq = 0
  constructor(public now: number) {}

  nextSeq(): number {
    return ++this.seq
  }

  /** Ready messages past the standard queue's retention are gone (in flight or delayed ones wait until ready). */
  expire(): void {
    for (const [mid, m] of this.messages) {
      if (m.queue === WORK && m.receipt === undefined && m.visibleAt <= this.now && m.publishedAt <= this.now - RETENTION_MS) {
        this.messages.delete(mid)
        reached.expired++
      }
    }
  }

  inQueue(queue: string): ModelMessage[] {
    return [...this.messages.values()].filter((m) => m.queue === queue)
  }

  visible(queue: string): ModelMessage[] {
    return this.inQueue(queue).filter((m) => m.receipt === undefined && m.visibleAt <= this.now)
  }

  /** The fifo queue's groups that may deliver now, each by its first message: none out, and the first visible. */
  deliverableHeads(): Map<string, ModelMessage> {
    const byGroup = new Map<string, ModelMessage[]>()
    for (const m of this.inQueue(FIFO)) {
      const list = byGroup.get(m.group as string) ?? []
      list.push(m)
      byGroup.set(m.group as string, list)
    }
    const heads = new Map<string, ModelMessage>()
    for (const [group, list] of byGroup) {
      if (list.some((m) => m.receipt !== undefined)) continue
      const first = list.sort((a, b) => a.seq - b.seq)[0] as ModelMessage
      if (first.visibleAt <= this.now) heads.set(group, first)
      // Held back by its first message's nack delay, with a later one visible behind it.
      else if (list.some((m) => m.visibleAt <= this.now)) reached.groupsHeld++
    }
    return heads
  }

  counts(queue: string): { ready: number; inflight: number; delayed: number } {
    let ready = 0
    let inflight = 0
    let delayed = 0
    for (const m of this.inQueue(queue)) {
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

  /** A release (nack, timeout): back to its queue, or on to the dead letters at maxReceives. */
  release(message: ModelMessage, delayMs: number): void {
    message.receipt = undefined
    message.until = undefined
    const max = MAX_RECEIVES[message.queue]
    if (max !== undefined && message.receives >= max) {
      message.queue = DEAD
      message.visibleAt = 0
      reached.deadLettered++
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

/** The port without a log: every record kept in memory, every write durable at once. */
class MemoryPort implements EnginePort {
  readonly backlogs = false
  written = 0
  write(_record: EngineRecord): void {
    this.written++
  }
  held(): void {}
  durable(): Promise<void> {
    return Promise.resolve()
  }
  readBody(): undefined {
    return undefined
  }
  readAhead(): [] {
    return []
  }
}

interface Real {
  clock: ManualClock
  port: MemoryPort
  engine: QueueEngine
  /** mid -> body, to name messages in the model. */
  bodies: Map<string, number>
}

type Command = fc.AsyncCommand<Model, Real>

function compare(model: Model, real: Real): void {
  model.expire()
  for (const name of QUEUES) {
    const queue = real.engine.queues.get(name) as Queue
    expireDue(real.engine, queue)
    const stats = queue.stats()
    const got = { ready: stats.ready, inflight: stats.inflight, delayed: stats.delayed }
    const expected = model.counts(name)
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`${name}: engine ${JSON.stringify(got)}, model ${JSON.stringify(expected)}`)
    }
  }
}

let nextBody = 0

class PublishWork implements Command {
  constructor(readonly delaySeconds: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const body = nextBody++
    const queue = real.engine.queues.get(WORK) as Queue
    const now = real.clock.now()
    const record = oneRecord(queue, { bodyJson: String(body), delay: this.delaySeconds }, now)
    publishOne(real.engine, queue, record, now)
    real.bodies.set(record.mid, body)
    model.messages.set(record.mid, {
      queue: WORK, body, group: undefined, publishedAt: now, seq: model.nextSeq(), receives: 0, visibleAt: now + this.delaySeconds * 1000,
    })
    compare(model, real)
  }
  toString(): string {
    return `publish(${WORK}, delay ${this.delaySeconds})`
  }
}

class PublishFifo implements Command {
  constructor(readonly group: string, readonly dedupId: string | undefined) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const body = nextBody++
    const engine = real.engine
    const queue = engine.queues.get(FIFO) as Queue
    const now = real.clock.now()
    const input = { bodyJson: String(body), group: this.group, ...(this.dedupId !== undefined ? { dedupId: this.dedupId } : {}) }
    const accepted = accept(engine, [input], () => [queue], false, now)
    placeNew(engine, accepted.records, now, [])
    const mid = accepted.mids[0] as string
    const seen = this.dedupId === undefined ? undefined : model.dedup.get(this.dedupId)
    if (seen && seen.at > now - DEDUP_WINDOW_MS) {
      if (mid !== seen.mid || accepted.records.length !== 0) throw new Error(`a duplicate within the window got ${mid}, not ${seen.mid}`)
      reached.duplicates++
    } else {
      if (accepted.records.length !== 1) throw new Error('a new message wrote no record')
      if (this.dedupId !== undefined) model.dedup.set(this.dedupId, { mid, at: now })
      real.bodies.set(mid, body)
      model.messages.set(mid, { queue: FIFO, body, group: this.group, publishedAt: now, seq: model.nextSeq(), receives: 0, visibleAt: now })
    }
    compare(model, real)
  }
  toString(): string {
    return `publish(${FIFO}, group ${this.group}, dedup ${this.dedupId ?? '-'})`
  }
}

class Receive implements Command {
  constructor(readonly queue: string, readonly max: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    model.expire()
    const heads = this.queue === FIFO ? model.deliverableHeads() : undefined
    const available = heads ? heads.size : model.visible(this.queue).length
    const queue = real.engine.queues.get(this.queue) as Queue
    const got: Delivery[] = await receive(real.engine, queue, { max: this.max, wait: 0, owner: OWNER })
    const expected = Math.min(this.max, available)
    if (got.length !== expected) throw new Error(`receive ${this.queue}: got ${got.length}, model has ${available} deliverable (max ${this.max})`)
    const groups = new Set<string>()
    for (const delivery of got) {
      const message = model.messages.get(delivery.mid)
      if (!message || message.queue !== this.queue || message.receipt !== undefined || message.visibleAt > model.now) {
        throw new Error(`receive delivered ${delivery.mid}, which the model does not have visible in ${this.queue}`)
      }
      if (heads) {
        // A fifo group delivers its first message only, and one at a time.
        if (heads.get(message.group as string) !== message) throw new Error(`${delivery.mid} is not the first of group ${message.group}`)
        if (groups.has(message.group as string)) throw new Error(`two messages of group ${message.group} in one receive`)
        groups.add(message.group as string)
      }
      message.receives++
      if (delivery.receives !== message.receives) throw new Error(`receives ${delivery.receives}, model ${message.receives}`)
      if (delivery.bodyJson !== String(message.body)) throw new Error(`body ${delivery.bodyJson}, model ${message.body}`)
      message.receipt = delivery.receipt
      message.until = model.now + VISIBILITY_MS
      model.receipts.push(delivery.receipt)
    }
    compare(model, real)
  }
  toString(): string {
    return `receive(${this.queue}, ${this.max})`
  }
}

/** Settles the n-th receipt handed out so far (modulo their number): live or stale. */
abstract class Settle implements Command {
  static live = 0
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.receipts.length > 0
  }
  async run(model: Model, real: Real): Promise<void> {
    const receipt = model.receipts[this.pick % model.receipts.length] as string
    const held = model.byReceipt(receipt)
    let code: string | undefined
    try {
      await this.settle(real.engine, receipt)
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
    compare(model, real)
  }
  abstract settle(engine: QueueEngine, receipt: string): unknown
  abstract apply(model: Model, mid: string, message: ModelMessage): void
}

class Ack extends Settle {
  settle(engine: QueueEngine, receipt: string): unknown {
    return ack(engine, [receipt])
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
  settle(engine: QueueEngine, receipt: string): unknown {
    return nack(engine, receipt, this.delaySeconds)
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
  settle(engine: QueueEngine, receipt: string): unknown {
    return touch(engine, receipt, this.seconds)
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
    compare(model, real)
  }
  toString(): string {
    return `advance(${this.ms} ms)`
  }
}

const commands = [
  fc.integer({ min: 0, max: 3 }).map((delay) => new PublishWork(delay === 3 ? 60 : 0)),
  fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.option(fc.constantFrom('x', 'y'), { nil: undefined }))
    .map(([group, dedupId]) => new PublishFifo(group, dedupId)),
  fc.tuple(fc.constantFrom(WORK, FIFO, FIFO, DEAD), fc.integer({ min: 1, max: 3 })).map(([queue, max]) => new Receive(queue, max)),
  fc.nat().map((pick) => new Ack(pick)),
  fc.tuple(fc.nat(), fc.constantFrom(0, 0, 10)).map(([pick, delay]) => new Nack(pick, delay)),
  fc.tuple(fc.nat(), fc.constantFrom(0, 5, 120)).map(([pick, seconds]) => new Touch(pick, seconds)),
  fc.constantFrom(1_000, 11_000, 31_000, 61_000).map((ms) => new Advance(ms)),
]

const RUNS = 300

t.test('the engine behaves as the model: standard and fifo queues, maxReceives, dead letters, retention, dedup', async (t) => {
  let done = 0
  let writes = 0
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 120, size: 'max' }), async (cmds) => {
      const clock = new ManualClock(1_700_000_000_000)
      const port = new MemoryPort()
      const engine = new QueueEngine({ port, clock })
      const visibilityTimeout = VISIBILITY_MS / 1000
      engine.declare({ queue: WORK, maxReceives: MAX_RECEIVES[WORK], deadLetter: DEAD, visibilityTimeout, retention: RETENTION_MS / 1000 })
      engine.declare({ queue: FIFO, fifo: true, maxReceives: MAX_RECEIVES[FIFO], deadLetter: DEAD, visibilityTimeout })
      engine.declare({ queue: DEAD })
      engine.scheduleSweep()
      const model = new Model(clock.now())
      try {
        await fc.asyncModelRun(() => ({ model, real: { clock, port, engine, bodies: new Map() } }), cmds)
      } finally {
        engine.stopTimers()
      }
      writes += port.written
      done++
    }),
    { numRuns: RUNS },
  )
  t.equal(done, RUNS, 'every run matched the model')
  t.ok(Settle.live > RUNS, `settles with a live receipt: ${Settle.live}`)
  t.ok(writes > RUNS, `records written through the port: ${writes}`)
  for (const [rule, count] of Object.entries(reached)) t.ok(count > 0, `${rule}: ${count}`)
})
