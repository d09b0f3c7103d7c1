import t from 'tap'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'
import { GatedJournal, RecordingJournal } from './recording-journal.js'

async function open(journal: RecordingJournal) {
  const b = await startBroker({ journal })
  const c = await TestClient.connect(b.port)
  const stop = async (): Promise<void> => {
    await c.close()
    await b.stop()
  }
  return { b, c, stop }
}

async function bodies(c: TestClient, queue: string): Promise<unknown[]> {
  const reply = await c.request({ op: 'peek', queue, max: 100 })
  return (reply.messages as Frame[]).map((m) => m.body)
}

t.test('topics, bindings, unbinds and fanned-out messages are rebuilt by replay', async (t) => {
  const first = new RecordingJournal()
  const before = await open(first)
  const c = before.c
  await c.request({ op: 'topic', topic: 'orders' })
  await c.request({ op: 'topic', topic: 'idle' })
  await c.request({ op: 'bind', topic: 'orders', queue: 'eu', filter: { region: ['eu'] } })
  await c.request({ op: 'bind', topic: 'orders', queue: 'all' })
  await c.request({ op: 'bind', topic: 'orders', queue: 'gone' })
  await c.request({ op: 'publish', topic: 'orders', body: 'eu-1', attrs: { region: 'eu' } })
  await c.request({ op: 'publish', topic: 'orders', body: 'us-1', attrs: { region: 'us' } })
  await c.request({ op: 'unbind', topic: 'orders', queue: 'gone' })
  const statsBefore = await c.request({ op: 'stats' })
  await before.stop()

  const after = await open(new RecordingJournal(first))
  t.teardown(after.stop)
  const statsAfter = await after.c.request({ op: 'stats' })
  t.same(statsAfter.topics, statsBefore.topics, 'topics and bindings are the same after a restart')
  t.same(statsAfter.topics, [
    { topic: 'idle', bindings: [] },
    { topic: 'orders', bindings: [{ queue: 'all' }, { queue: 'eu', filter: { region: ['eu'] } }] },
  ], 'by name (PROTOCOL.md §4.16)')
  t.same(await bodies(after.c, 'eu'), ['eu-1'])
  t.same(await bodies(after.c, 'all'), ['eu-1', 'us-1'])
  t.same(await bodies(after.c, 'gone'), ['eu-1', 'us-1'], 'messages stay in a queue after it is unbound')
  // The rebuilt bindings route new publishes, filters included.
  await after.c.request({ op: 'publish', topic: 'orders', body: 'eu-2', attrs: { region: 'eu' } })
  t.same(await bodies(after.c, 'eu'), ['eu-1', 'eu-2'])
  t.same(await bodies(after.c, 'gone'), ['eu-1', 'us-1'])
  // Acking one copy of a fanned-out message leaves the others.
  const got = await after.c.request({ op: 'receive', queue: 'all' })
  await after.c.request({ op: 'ack', receipt: got.messages[0].receipt })
  t.same(await bodies(after.c, 'all'), ['us-1', 'eu-2'])
  t.same(await bodies(after.c, 'eu'), ['eu-1', 'eu-2'])
})

t.test('an ack of one fanned-out copy survives a restart without touching the others', async (t) => {
  const first = new RecordingJournal()
  const before = await open(first)
  await before.c.request({ op: 'topic', topic: 't' })
  await before.c.request({ op: 'bind', topic: 't', queue: 'a' })
  await before.c.request({ op: 'bind', topic: 't', queue: 'b' })
  await before.c.request({ op: 'publish', topic: 't', body: 1 })
  const got = await before.c.request({ op: 'receive', queue: 'a' })
  await before.c.request({ op: 'ack', receipt: got.messages[0].receipt })
  await before.stop()
  const after = await open(new RecordingJournal(first))
  t.teardown(after.stop)
  t.same(await bodies(after.c, 'a'), [])
  t.same(await bodies(after.c, 'b'), [1])
})

t.test('topic, bind, unbind and publish to a topic answer only once durable', async (t) => {
  const journal = new GatedJournal()
  const b = await startBroker({ journal })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  const other = await TestClient.connect(b.port)
  t.teardown(() => Promise.all([c.close(), other.close()]))
  const steps: Frame[] = [
    { op: 'topic', topic: 'durable' },
    { op: 'bind', topic: 'durable', queue: 'q' },
    { op: 'publish', topic: 'durable', body: 1 },
    { op: 'unbind', topic: 'durable', queue: 'q' },
  ]
  for (const step of steps) {
    journal.hold()
    let answered = false
    const reply = c.request(step).then((r) => {
      answered = true
      return r
    })
    // A full round trip on another connection: the held request has had every chance to answer.
    t.equal((await other.request({ op: 'ping' })).ok, true)
    t.equal(answered, false, `${step.op} waits for the commit`)
    journal.release()
    t.equal((await reply).ok, true, `${step.op} answers after the commit`)
  }
})
