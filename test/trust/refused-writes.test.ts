// A refused write leaves no trace (PROTOCOL.md §6 "Semantics"): an op answered `unavailable`
// changed nothing, in memory now or in the log after the disk heals and the broker restarts.
import t from 'tap'
import { FaultyFs } from '../store/log/fixture.js'
import { TestClient, type Frame } from '../helpers/broker.js'
import { ManualClock } from '../../shared/clock.js'
import { durableBroker, type Opened } from './inprocess.js'

async function ok(c: TestClient, request: Frame): Promise<Frame> {
  const reply = await c.request(request)
  if (reply.ok !== true) throw new Error(`${JSON.stringify(request)} failed: ${JSON.stringify(reply)}`)
  return reply
}

/** What the ops below may change: queues with their settings and contents, topics and bindings. */
async function picture(c: TestClient): Promise<Frame> {
  const stats = await ok(c, { op: 'stats' })
  const queues: Frame = {}
  for (const q of stats.queues as Frame[]) {
    const peek = await ok(c, { op: 'peek', queue: q.queue, max: 100 })
    queues[q.queue] = { ready: q.ready, bodies: (peek.messages as Frame[]).map((m) => m.body) }
  }
  return { queues, topics: stats.topics }
}

async function settled(opened: Opened): Promise<void> {
  // The log retries on its own (retryMs 10): wait for it to say it is healthy again.
  for (let i = 0; i < 500 && !opened.store.healthy(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  await opened.journal.commit()
}

const cases: [string, Frame][] = [
  ['declare of a new queue', { op: 'declare', queue: 'new', fifo: true }],
  ['declare changing a queue', { op: 'declare', queue: 'work', maxReceives: 4, deadLetter: 'dead' }],
  ['topic', { op: 'topic', topic: 'fresh' }],
  ['bind', { op: 'bind', topic: 'events', queue: 'work', filter: { kind: ['a'] } }],
  ['unbind', { op: 'unbind', topic: 'events', queue: 'bound' }],
  ['purge', { op: 'purge', queue: 'work' }],
  ['drop', { op: 'drop', queue: 'work' }],
  ['drop of a topic', { op: 'drop', topic: 'events' }],
  ['redrive', { op: 'redrive', queue: 'dead' }],
]

for (const [name, request] of cases) {
  t.test(`a refused ${name} leaves no trace, now or after a restart`, async (t) => {
    const broker = durableBroker(t)
    const fs = new FaultyFs()
    const first = await broker.open(fs)
    const c = first.client
    await ok(c, { op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'dead' })
    await ok(c, { op: 'topic', topic: 'events' })
    await ok(c, { op: 'bind', topic: 'events', queue: 'bound' })
    await ok(c, { op: 'publish', queue: 'work', messages: [{ body: 1 }, { body: 2 }, { body: 3 }] })
    // One message dead-lettered, for redrive.
    const got = await ok(c, { op: 'receive', queue: 'work' })
    await ok(c, { op: 'nack', receipt: got.messages[0].receipt })
    await first.journal.commit()
    const before = await picture(c)

    fs.full = true
    const refused = await c.request(request)
    t.equal(refused.error?.code, 'unavailable', `${name} is refused`)
    t.same(await picture(c), before, 'nothing changed in memory')
    fs.full = false
    await settled(first)
    t.same(await picture(c), before, 'nothing changed once the disk healed')
    await first.stop()

    const second = await broker.open()
    t.same(await picture(second.client), before, 'nothing changed after a restart')
  })
}

// A nack (or a touch with 0) is answered once what it wrote is durable: refused, the delivery
// stays in flight under its receipt, and the release it wrote never lands in the log.
const settles: [string, (receipt: string) => Frame][] = [
  ['nack', (receipt) => ({ op: 'nack', receipt })],
  ['nack with a delay', (receipt) => ({ op: 'nack', receipt, delay: 10 })],
  ['touch with 0', (receipt) => ({ op: 'touch', receipt, timeout: 0 })],
]

for (const [name, settle] of settles) {
  t.test(`a refused ${name} leaves the message in flight under its receipt, now or after a restart`, async (t) => {
    // The receive counts wait RECEIVE_LOG_MS on this clock: the settle below writes them.
    const clock = new ManualClock()
    const broker = durableBroker(t, { clock })
    const fs = new FaultyFs()
    const first = await broker.open(fs)
    const c = first.client
    await ok(c, { op: 'declare', queue: 'work', visibilityTimeout: 30 })
    await ok(c, { op: 'publish', queue: 'work', messages: [{ body: 1 }, { body: 2 }] })
    const got = await ok(c, { op: 'receive', queue: 'work', max: 2 })
    const [one, two] = (got.messages as Frame[]).map((m) => m.receipt as string)
    const counts = async (client: TestClient): Promise<Frame> => {
      const stats = await ok(client, { op: 'stats', queue: 'work' })
      const { ready, inflight, delayed } = (stats.queues as Frame[])[0] as Frame
      return { ready, inflight, delayed }
    }

    fs.full = true
    t.equal((await c.request(settle(one as string))).error?.code, 'unavailable', `the ${name} of the first is refused`)
    t.equal((await c.request(settle(two as string))).error?.code, 'unavailable', `the ${name} of the second is refused`)
    t.same(await counts(c), { ready: 0, inflight: 2, delayed: 0 }, 'both are still in flight')
    fs.full = false
    await settled(first)
    t.same(await counts(c), { ready: 0, inflight: 2, delayed: 0 }, 'still in flight once the disk healed')
    t.same((await ok(c, { op: 'receive', queue: 'work', max: 2 })).messages, [], 'neither is delivered again')
    await ok(c, { op: 'ack', receipts: [one] })
    t.same(await counts(c), { ready: 0, inflight: 1, delayed: 0 }, 'the first is acked under its receipt')
    await first.journal.commit()
    await first.stop()

    // A restart releases what was in flight (PROTOCOL.md §9): the second is visible, not delayed
    // by a release record that was refused.
    const second = await broker.open()
    t.same(await counts(second.client), { ready: 1, inflight: 0, delayed: 0 }, 'after a restart: the second is ready')
  })
}

/** A full disk whose failing writes wait at a gate until let go (the test orders events around them). */
class GatedFullFs extends FaultyFs {
  private gate: (() => void)[] | undefined
  private arrived: (() => void) | undefined

  constructor() {
    super()
    const faultyWrite = this.write
    this.write = async (fd, data, position) => {
      const gate = this.gate
      if (gate) {
        await new Promise<void>((resolve) => {
          gate.push(resolve)
          this.arrived?.()
          this.arrived = undefined
        })
      }
      return faultyWrite(fd, data, position)
    }
  }

  /** Holds the next writes; resolves once one waits at the gate. */
  holdNext(): Promise<void> {
    this.gate = []
    return new Promise((resolve) => (this.arrived = resolve))
  }

  letGo(): void {
    const waiting = this.gate ?? []
    this.gate = undefined
    for (const go of waiting) go()
  }
}

t.test('a nack refused after its connection closed gives the message back at once, as the close does', async (t) => {
  // Visibility timeouts run on this clock and it never moves: only the close can give it back.
  const clock = new ManualClock()
  const broker = durableBroker(t, { clock })
  const fs = new GatedFullFs()
  const first = await broker.open(fs)
  const admin = first.client
  await ok(admin, { op: 'declare', queue: 'work', visibilityTimeout: 600 })
  await ok(admin, { op: 'publish', queue: 'work', body: 'x' })
  const worker = await TestClient.connect(first.broker.port)
  const got = await ok(worker, { op: 'receive', queue: 'work' })
  const receipt = (got.messages as Frame[])[0]?.receipt as string
  const connections = async (): Promise<number> => (await ok(admin, { op: 'stats' })).connections as number

  fs.full = true
  const held = fs.holdNext()
  worker.send({ op: 'nack', receipt })
  await held
  // The nack's write waits at the gate; the worker's connection is reset meanwhile (a crashed
  // process: a clean close would wait for the nack's answer, PROTOCOL.md §1).
  worker.socket.resetAndDestroy()
  await worker.closed
  for (let i = 0; i < 500 && (await connections()) > 1; i++) await new Promise((resolve) => setImmediate(resolve))
  t.equal(await connections(), 1, 'the broker saw the worker go')
  const other = await TestClient.connect(first.broker.port)
  t.teardown(() => other.close())
  await ok(other, { op: 'subscribe', queue: 'work', prefetch: 1 })
  fs.letGo()
  // Without an answer the message would wait out its 600 s; this deadline only ends a failing run.
  let deadline: NodeJS.Timeout | undefined
  const [delivery] = await Promise.race([
    other.waitDeliveries(1),
    new Promise<Frame[]>((resolve) => (deadline = setTimeout(() => resolve([]), 5000))),
  ])
  clearTimeout(deadline)
  t.equal(delivery?.body, 'x', 'the refused nack leaves it to the close: delivered to another consumer without waiting out its visibility timeout')
})
