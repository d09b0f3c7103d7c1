// A refused write leaves no trace (PROTOCOL.md §6 "Semantics"): an op answered `unavailable`
// changed nothing, in memory now or in the log after the disk heals and the broker restarts.
import t from 'tap'
import { FaultyFs } from '../store/log/fixture.js'
import type { Frame, TestClient } from '../helpers/broker.js'
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
