// Model-based test of the queue engine alone, no log and no file system: random sequences of
// publish, receive, ack, nack, touch, clock jumps (a ManualClock) and restarts over a standard
// queue with retention, a fifo queue with groups and a dedup window, both with maxReceives and one
// dead-letter queue, run against a small reference model of the contract's semantics
// (PROTOCOL.md §6, model.ts) and compared after every step. The port keeps what the engine
// writes; a restart builds a fresh engine from those records alone, through the interpreter the
// broker's start-up runs (queues/apply.ts, then restore.ts placeReplayed).
import t from 'tap'
import fc from 'fast-check'
import { ManualClock } from '../../shared/clock.js'
import type { Delivery } from '../../shared/protocol/types.js'
import { QueueEngine } from '../../broker/queues/engine.js'
import type { Queue } from '../../broker/queues/queue.js'
import { applyRecord, applyState } from '../../broker/queues/apply.js'
import { placeReplayed } from '../../broker/queues/restore.js'
import { accept, oneRecord, publishOne } from '../../broker/queues/publish.js'
import { placeNew } from '../../broker/queues/placement.js'
import { receive } from '../../broker/queues/consumers.js'
import { ack, nack, touch } from '../../broker/queues/settle.js'
import { DEDUP_WINDOW_MS, expireDue } from '../../broker/queues/retention.js'
import {
  DEAD, FIFO, MAX_RECEIVES, MemoryPort, Model, OWNER, QUEUES, RETENTION_MS, VISIBILITY_MS, WORK, reached, type ModelMessage,
} from './model.js'

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

/**
 * A stop and a start: the engine stops (a clean stop writes the receive counts still due), and a
 * fresh one is built from the records alone. A restart releases what was in flight, receive
 * counts kept (PROTOCOL.md §9): visible again, or on to the dead letters once delivered
 * maxReceives times (§6.5); no receipt survives. Delayed messages stay delayed until their time.
 */
class Restart implements Command {
  static done = 0
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    real.engine.stopTimers()
    real.engine = startEngine(real.clock, real.port)
    for (const message of model.messages.values()) {
      if (message.receipt !== undefined) model.release(message, 0)
    }
    Restart.done++
    compare(model, real)
  }
  toString(): string {
    return 'restart'
  }
}

/** An engine on `port`, its state rebuilt from the records the port kept, as the broker starts. */
function startEngine(clock: ManualClock, port: MemoryPort): QueueEngine {
  const engine = new QueueEngine({ port, clock })
  const state = applyState(engine.queues, (queue, record, index) => engine.materialize(queue, record, index))
  for (const record of [...port.records]) applyRecord(state, record)
  placeReplayed(engine)
  engine.scheduleSweep()
  return engine
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
  fc.constant(new Restart()),
]

const RUNS = 300

t.test('the engine behaves as the model: standard and fifo queues, maxReceives, dead letters, retention, dedup, restarts', async (t) => {
  let done = 0
  let writes = 0
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 120, size: 'max' }), async (cmds) => {
      const clock = new ManualClock(1_700_000_000_000)
      const port = new MemoryPort()
      const real: Real = { clock, port, engine: new QueueEngine({ port, clock }), bodies: new Map() }
      const visibilityTimeout = VISIBILITY_MS / 1000
      real.engine.declare({ queue: WORK, maxReceives: MAX_RECEIVES[WORK], deadLetter: DEAD, visibilityTimeout, retention: RETENTION_MS / 1000 })
      real.engine.declare({ queue: FIFO, fifo: true, maxReceives: MAX_RECEIVES[FIFO], deadLetter: DEAD, visibilityTimeout })
      real.engine.declare({ queue: DEAD })
      real.engine.scheduleSweep()
      const model = new Model(clock.now())
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds)
      } finally {
        real.engine.stopTimers()
      }
      writes += port.records.length
      done++
    }),
    { numRuns: RUNS },
  )
  t.equal(done, RUNS, 'every run matched the model')
  t.ok(Settle.live > RUNS, `settles with a live receipt: ${Settle.live}`)
  t.ok(writes > RUNS, `records written through the port: ${writes}`)
  t.ok(Restart.done > RUNS, `restarts: ${Restart.done}`)
  for (const [rule, count] of Object.entries(reached)) t.ok(count > 0, `${rule}: ${count}`)
})
