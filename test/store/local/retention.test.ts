// A message past its queue's retention is never shown as ready, wherever it stands in the queue:
// behind a younger one (a release to the front, a dead-letter move) as well as at the front, and
// between two sweeps too. Each expiry is written to the log as a delete, so it stays gone.
import t, { type Test } from 'tap'
import { ManualClock } from '../../../shared/clock.js'
import { openWithClient, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import type { Journal } from '../../../broker/store/journal.js'

/** A broker on `clock` (and `journal`) with one client, over real TCP. */
function brokerOn(t: Test, clock: ManualClock, journal?: Journal): ReturnType<typeof openWithClient> {
  return openWithClient(t, { clock, ...(journal ? { journal } : {}) })
}

async function ready(c: TestClient, queue: string): Promise<number> {
  const reply = await c.request({ op: 'stats', queue })
  return reply.queues[0].ready as number
}

async function peeked(c: TestClient, queue: string): Promise<unknown[]> {
  const reply = await c.request({ op: 'peek', queue, max: 10 })
  return (reply.messages as Frame[]).map((m) => m.body)
}

t.test('an expired message released behind a younger one is neither counted nor peeked', async (t) => {
  const clock = new ManualClock()
  const { c } = await brokerOn(t, clock)
  await c.request({ op: 'declare', queue: 'q', retention: 10 })
  await c.request({ op: 'publish', queue: 'q', body: 'old' })
  clock.advance(5000)
  await c.request({ op: 'publish', queue: 'q', body: 'young' })
  const out = (await c.request({ op: 'receive', queue: 'q', max: 2 })).messages as Frame[]
  t.same(out.map((m) => m.body), ['old', 'young'])
  // Each release goes to the front: young ends up ahead of old.
  await c.request({ op: 'nack', receipt: out[0]?.receipt })
  await c.request({ op: 'nack', receipt: out[1]?.receipt })
  t.same(await peeked(c, 'q'), ['young', 'old'])
  clock.advance(6000)
  t.equal(await ready(c, 'q'), 1, 'old is past its retention: only young is ready')
  t.same(await peeked(c, 'q'), ['young'], 'peek shows young only')
  const got = (await c.request({ op: 'receive', queue: 'q', max: 10 })).messages as Frame[]
  t.same(got.map((m) => m.body), ['young'], 'and only young is delivered')
})

t.test('an expired message moved to its dead-letter queue behind younger ones is neither counted nor peeked', async (t) => {
  const clock = new ManualClock()
  const { c } = await brokerOn(t, clock)
  await c.request({ op: 'declare', queue: 'dead', retention: 10 })
  await c.request({ op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'dead' })
  await c.request({ op: 'publish', queue: 'work', body: 'old' })
  clock.advance(5000)
  await c.request({ op: 'publish', queue: 'dead', body: 'young' })
  const [old] = (await c.request({ op: 'receive', queue: 'work' })).messages as Frame[]
  await c.request({ op: 'nack', receipt: old?.receipt })
  t.same(await peeked(c, 'dead'), ['young', 'old'], 'old died behind young')
  clock.advance(6000)
  t.equal(await ready(c, 'dead'), 1, 'old is past the dead-letter queue\'s retention')
  t.same(await peeked(c, 'dead'), ['young'])
})

t.test('a message is not shown past its retention even before the next sweep', async (t) => {
  const clock = new ManualClock()
  const { c } = await brokerOn(t, clock)
  await c.request({ op: 'declare', queue: 'q', retention: 1 })
  // Half-way between two sweeps (they run each whole second after the start).
  clock.advance(500)
  await c.request({ op: 'publish', queue: 'q', body: 'short-lived' })
  clock.advance(1100)
  t.equal(await ready(c, 'q'), 0, 'stats: not ready any more')
  t.same(await peeked(c, 'q'), [], 'peek: not there')
})

t.test('expiries behind a younger message are written to the log: gone after a restart', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const clock = new ManualClock()
  const first = await brokerOn(t, clock, new LogJournal({ dir: dir.path }))
  await first.c.request({ op: 'declare', queue: 'q', retention: 10 })
  await first.c.request({ op: 'publish', queue: 'q', body: 'old' })
  clock.advance(5000)
  await first.c.request({ op: 'publish', queue: 'q', body: 'young' })
  const out = (await first.c.request({ op: 'receive', queue: 'q', max: 2 })).messages as Frame[]
  await first.c.request({ op: 'nack', receipt: out[0]?.receipt })
  await first.c.request({ op: 'nack', receipt: out[1]?.receipt })
  clock.advance(6000)
  t.equal(await ready(first.c, 'q'), 1)
  await first.stop()

  // A clock back before old's time was up (young published, old not expired yet): only the log
  // can say old is gone.
  const second = await brokerOn(t, new ManualClock(clock.now() - 4000), new LogJournal({ dir: dir.path }))
  t.equal(await ready(second.c, 'q'), 1, 'the expiry was logged, as any expiry')
  t.same(await peeked(second.c, 'q'), ['young'])
})
