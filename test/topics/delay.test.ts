// A fan-out with no delay of its own waits out each bound queue's default delay (as SNS to SQS
// does); an explicit delay applies to every queue alike. Both survive a restart.
import t from 'tap'
import { ManualClock } from '../../shared/clock.js'
import { startBroker, tempDir, TestClient, type Frame } from '../helpers/broker.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { LogJournal } from '../../broker/store/log/journal.js'
import { RecordingJournal } from './recording-journal.js'

async function open(clock: ManualClock, journal: RecordingJournal) {
  const b = await startBroker({ clock, journal })
  const c = await TestClient.connect(b.port)
  return { c, stop: async () => { await c.close(); await b.stop() } }
}

async function ready(c: TestClient, queue: string): Promise<unknown[]> {
  return ((await c.request({ op: 'peek', queue, max: 100 })).messages as Frame[]).map((m) => m.body)
}

t.test('each bound queue applies its own default delay to a fan-out', async (t) => {
  const clock = new ManualClock()
  const journal = new RecordingJournal()
  const before = await open(clock, journal)
  const c = before.c
  await c.request({ op: 'declare', queue: 'now' })
  await c.request({ op: 'declare', queue: 'slow', delay: 10 })
  await c.request({ op: 'topic', topic: 't' })
  await c.request({ op: 'bind', topic: 't', queue: 'now' })
  await c.request({ op: 'bind', topic: 't', queue: 'slow' })
  await c.request({ op: 'publish', topic: 't', body: 'default' })
  await c.request({ op: 'publish', topic: 't', body: 'explicit-0', delay: 0 })
  await c.request({ op: 'publish', topic: 't', body: 'explicit-20', delay: 20 })
  t.same(await ready(c, 'now'), ['default', 'explicit-0'])
  t.same(await ready(c, 'slow'), ['explicit-0'], 'an explicit delay overrides the queue default')
  t.equal(journal.records.filter((r) => r.type === 'publish').length, 3, 'still one record per fan-out')
  await before.stop()

  clock.advance(9_999)
  const after = await open(clock, new RecordingJournal(journal))
  t.teardown(after.stop)
  t.same(await ready(after.c, 'slow'), ['explicit-0'], 'the default delay is kept across a restart')
  clock.advance(1)
  t.same(await ready(after.c, 'slow'), ['explicit-0', 'default'])
  clock.advance(10_000)
  t.same(await ready(after.c, 'now'), ['default', 'explicit-0', 'explicit-20'])
  t.same(await ready(after.c, 'slow'), ['explicit-0', 'default', 'explicit-20'])
})

t.test('the per-queue default delay of a fan-out survives a restart on the durable log', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const clock = new ManualClock()
  const start = async () => {
    const b = await startBroker({ store: new LocalStore({ journal: new LogJournal({ dir: dir.path }), clock }) })
    const c = await TestClient.connect(b.port)
    return { c, stop: async () => { await c.close(); await b.stop() } }
  }
  const before = await start()
  await before.c.request({ op: 'declare', queue: 'slow', delay: 10 })
  await before.c.request({ op: 'topic', topic: 't' })
  await before.c.request({ op: 'bind', topic: 't', queue: 'slow' })
  await before.c.request({ op: 'publish', topic: 't', body: 'default' })
  await before.stop()
  const after = await start()
  t.teardown(after.stop)
  t.same(await ready(after.c, 'slow'), [])
  t.same((await after.c.request({ op: 'peek', queue: 'slow', state: 'delayed' })).messages.map((m: Frame) => m.body), ['default'])
  clock.advance(10_000)
  t.same(await ready(after.c, 'slow'), ['default'])
})
