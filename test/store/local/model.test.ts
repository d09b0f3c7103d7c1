// Model-based test of the local store: random sequences of publish, receive, ack, nack, touch,
// clock jumps and restarts (on the durable log, in a file system in memory) run against the
// reference model of the contract's semantics (PROTOCOL.md §6, test/helpers/queue-model.ts),
// compared after every step.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { ManualClock } from '../../../shared/clock.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import type { Delivery } from '../../../shared/protocol/types.js'
import { MemoryFs } from '../log/fixture.js'
import { Model, reached, sharedCommands, type Counts, type ModelSetup, type Target } from '../../helpers/queue-model.js'

const QUEUE = 'work'
const DEAD = 'work.dead'
const SETUP: ModelSetup = { queues: [QUEUE, DEAD], visibilityMs: 30_000, maxReceives: { [QUEUE]: 3 }, deadLetter: DEAD }

/** Publishes after which the queue had a backlog: the runs with a small bodies-in-memory must have some. */
let intoBacklog = 0

/** The local store on the durable log in `fs`; a restart closes it and opens a new one on the same files. */
class StoreTarget implements Target {
  readonly fs = new MemoryFs()
  store!: LocalStore
  /** `bodiesInMemory`: the store's --bodies-in-memory, how deep a queue gets before the rest is its backlog. */
  constructor(readonly clock: ManualClock, readonly bodiesInMemory?: number) {}
  async open(): Promise<void> {
    this.store = new LocalStore({
      journal: new LogJournal({ dir: '/data', fs: this.fs, segmentBytes: 4096 }), clock: this.clock,
      ...(this.bodiesInMemory !== undefined ? { bodiesInMemory: this.bodiesInMemory } : {}),
    })
    await this.store.open()
  }
  async publish(queue: string, bodyJson: string, delay: number): Promise<string> {
    const [mid] = await this.store.publish({ queue }, [{ bodyJson, delay }])
    // How many messages the queue keeps as a range of the log, not as objects (the store's own count).
    if ((this.store.engine.queues.get(queue)?.backlog.size ?? 0) > 0) intoBacklog++
    return mid as string
  }
  async receive(queue: string, max: number): Promise<Delivery[]> {
    return (await this.store.receive(queue, { max, wait: 0, owner: { id: 1 } })) as Delivery[]
  }
  ack(receipt: string): unknown {
    return this.store.ack([receipt])
  }
  nack(receipt: string, delaySeconds: number): unknown {
    return this.store.nack(receipt, delaySeconds)
  }
  touch(receipt: string, seconds: number): unknown {
    return this.store.touch(receipt, seconds)
  }
  async counts(queue: string): Promise<Counts> {
    const stats = (await this.store.stats()).queues.find((q) => q.queue === queue)
    return stats ? { ready: stats.ready, inflight: stats.inflight, delayed: stats.delayed } : { ready: 0, inflight: 0, delayed: 0 }
  }
  async restart(): Promise<void> {
    await this.store.close()
    await this.open()
  }
}

const commands = sharedCommands(QUEUE, [QUEUE, QUEUE, DEAD])

const RUNS = 150

/** Random runs against the model; `bodiesInMemory` small puts most of a queue in its backlog. */
async function runs(t: Test, bodiesInMemory?: number): Promise<void> {
  let done = 0
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'max' }), async (cmds) => {
      const clock = new ManualClock(1_700_000_000_000)
      const real = new StoreTarget(clock, bodiesInMemory)
      await real.open()
      await real.store.declare({ queue: QUEUE, maxReceives: SETUP.maxReceives[QUEUE], deadLetter: DEAD, visibilityTimeout: SETUP.visibilityMs / 1000 })
      await real.store.declare({ queue: DEAD })
      const model = new Model(SETUP, clock.now())
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds)
      } finally {
        await real.store.close()
      }
      done++
    }),
    { numRuns: RUNS },
  )
  t.equal(done, RUNS, 'every run matched the model')
}

t.test('the local store on the durable log behaves as the model, restarts included', async (t) => {
  await runs(t)
  t.ok(reached.liveSettles > RUNS, `settles with a live receipt: ${reached.liveSettles}`)
  t.ok(reached.deadLettered > 0, `dead-lettered: ${reached.deadLettered}`)
  t.ok(reached.restarts > RUNS, `restarts: ${reached.restarts}`)
})

t.test('the same with a queue deeper than --bodies-in-memory: its backlog read ahead, checkpoints, restarts', async (t) => {
  intoBacklog = 0
  await runs(t, 2)
  t.ok(intoBacklog > 100, `publishes that found a backlog: ${intoBacklog}`)
})
