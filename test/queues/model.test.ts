// Model-based test of the queue engine alone, no log and no file system: random sequences of
// publish, receive, ack, nack, touch, clock jumps (a ManualClock) and restarts over a standard
// queue with retention, a fifo queue with groups and a dedup window, both with maxReceives and one
// dead-letter queue, run against the reference model of the contract's semantics (PROTOCOL.md §6,
// test/helpers/queue-model.ts) and compared after every step. The port keeps what the engine
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
import { Model, compare, newBody, reached, sharedCommands, type Command, type Counts, type Target } from '../helpers/queue-model.js'
import { DEAD, FIFO, MemoryPort, OWNER, RETENTION_MS, SETUP, VISIBILITY_MS, WORK } from './model.js'

/** The engine on its memory port; a restart replays the port's records into a fresh one. */
class EngineTarget implements Target {
  readonly port = new MemoryPort()
  engine: QueueEngine
  constructor(readonly clock: ManualClock) {
    this.engine = new QueueEngine({ port: this.port, clock })
  }
  queue(name: string): Queue {
    return this.engine.queues.get(name) as Queue
  }
  publish(queue: string, bodyJson: string, delay: number): string {
    const now = this.clock.now()
    const record = oneRecord(this.queue(queue), { bodyJson, delay }, now)
    publishOne(this.engine, this.queue(queue), record, now)
    return record.mid
  }
  receive(queue: string, max: number): Promise<Delivery[]> | Delivery[] {
    return receive(this.engine, this.queue(queue), { max, wait: 0, owner: OWNER })
  }
  ack(receipt: string): unknown {
    return ack(this.engine, [receipt])
  }
  nack(receipt: string, delaySeconds: number): unknown {
    return nack(this.engine, receipt, delaySeconds)
  }
  touch(receipt: string, seconds: number): unknown {
    return touch(this.engine, receipt, seconds)
  }
  counts(name: string): Counts {
    const queue = this.queue(name)
    expireDue(this.engine, queue)
    const stats = queue.stats()
    return { ready: stats.ready, inflight: stats.inflight, delayed: stats.delayed }
  }
  /** The engine stops (a clean stop writes the receive counts still due); a fresh one starts from the records alone. */
  restart(): void {
    this.engine.stopTimers()
    const engine = new QueueEngine({ port: this.port, clock: this.clock })
    const state = applyState(engine.queues, (queue, record, index) => engine.materialize(queue, record, index))
    for (const record of [...this.port.records]) applyRecord(state, record)
    placeReplayed(engine)
    engine.scheduleSweep()
    this.engine = engine
  }
}

/** A publish to the fifo queue, in a group and maybe with a dedup id: within the window a duplicate gets the first one's mid. */
class PublishFifo implements Command<EngineTarget> {
  constructor(readonly group: string, readonly dedupId: string | undefined) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: EngineTarget): Promise<void> {
    const body = newBody()
    const engine = real.engine
    const now = real.clock.now()
    const input = { bodyJson: String(body), group: this.group, ...(this.dedupId !== undefined ? { dedupId: this.dedupId } : {}) }
    const accepted = accept(engine, [input], () => [real.queue(FIFO)], false, now)
    placeNew(engine, accepted.records, now, [])
    const mid = accepted.mids[0] as string
    const seen = this.dedupId === undefined ? undefined : model.dedup.get(this.dedupId)
    if (seen && seen.at > now - DEDUP_WINDOW_MS) {
      if (mid !== seen.mid || accepted.records.length !== 0) throw new Error(`a duplicate within the window got ${mid}, not ${seen.mid}`)
      reached.duplicates++
    } else {
      if (accepted.records.length !== 1) throw new Error('a new message wrote no record')
      if (this.dedupId !== undefined) model.dedup.set(this.dedupId, { mid, at: now })
      model.add(mid, { queue: FIFO, body, group: this.group, visibleAt: now })
    }
    await compare(model, real)
  }
  toString(): string {
    return `publish(${FIFO}, group ${this.group}, dedup ${this.dedupId ?? '-'})`
  }
}

// The fifo publish second, right after the standard one: the list's order shapes fast-check's
// draws, and this one keeps the fifo groups busy enough that runs hold some back (groupsHeld).
const [publishWork, ...settleAndTime] = sharedCommands(WORK, [WORK, FIFO, FIFO, DEAD])
const commands = [
  publishWork as fc.Arbitrary<Command>,
  fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.option(fc.constantFrom('x', 'y'), { nil: undefined }))
    .map(([group, dedupId]) => new PublishFifo(group, dedupId)),
  ...settleAndTime,
]

const RUNS = 300

t.test('the engine behaves as the model: standard and fifo queues, maxReceives, dead letters, retention, dedup, restarts', async (t) => {
  let done = 0
  let writes = 0
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 120, size: 'max' }), async (cmds) => {
      const clock = new ManualClock(1_700_000_000_000)
      const real = new EngineTarget(clock)
      const visibilityTimeout = VISIBILITY_MS / 1000
      const { maxReceives } = SETUP
      real.engine.declare({ queue: WORK, maxReceives: maxReceives[WORK], deadLetter: DEAD, visibilityTimeout, retention: RETENTION_MS / 1000 })
      real.engine.declare({ queue: FIFO, fifo: true, maxReceives: maxReceives[FIFO], deadLetter: DEAD, visibilityTimeout })
      real.engine.declare({ queue: DEAD })
      real.engine.scheduleSweep()
      const model = new Model(SETUP, clock.now())
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds)
      } finally {
        real.engine.stopTimers()
      }
      writes += real.port.records.length
      done++
    }),
    { numRuns: RUNS },
  )
  t.equal(done, RUNS, 'every run matched the model')
  t.ok(reached.liveSettles > RUNS, `settles with a live receipt: ${reached.liveSettles}`)
  t.ok(writes > RUNS, `records written through the port: ${writes}`)
  t.ok(reached.restarts > RUNS, `restarts: ${reached.restarts}`)
  for (const rule of ['deadLettered', 'expired', 'duplicates', 'groupsHeld'] as const) t.ok(reached[rule] > 0, `${rule}: ${reached[rule]}`)
})
