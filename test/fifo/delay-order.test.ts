// A fifo message waiting out its queue's delay holds its place in its group: a later message of
// the same group cannot overtake it, whatever the queue's delay is by the time that one comes,
// and across a restart too. Messages published before it are not held back by it.
import t, { type Test } from 'tap'
import { ManualClock } from '../../shared/clock.js'
import { openWithClient, tempDir, TestClient, type Frame } from '../helpers/broker.js'
import { LogJournal } from '../../broker/store/log/journal.js'
import type { Journal } from '../../broker/store/journal.js'

/** A broker on `clock` (and `journal`) with one client, over real TCP. */
function brokerOn(t: Test, clock: ManualClock, journal?: Journal): ReturnType<typeof openWithClient> {
  return openWithClient(t, { clock, ...(journal ? { journal } : {}) })
}

async function publish(c: TestClient, body: string, group: string): Promise<string> {
  const reply = await c.request({ op: 'publish', queue: 'f', body, group })
  if (!reply.ok) throw new Error(JSON.stringify(reply))
  return reply.mid as string
}

async function receive(c: TestClient, max = 10): Promise<Frame[]> {
  const reply = await c.request({ op: 'receive', queue: 'f', max })
  return reply.messages as Frame[]
}

const bodies = (messages: Frame[]): unknown[] => messages.map((m) => m.body)

t.test('a later message of the group does not overtake one still waiting out a longer delay', async (t) => {
  const clock = new ManualClock()
  const { c } = await brokerOn(t, clock)
  await c.request({ op: 'declare', queue: 'f', fifo: true, delay: 1 })
  await publish(c, 'a1', 'A')
  await c.request({ op: 'declare', queue: 'f', delay: 0 })
  await publish(c, 'a2', 'A')
  await publish(c, 'b1', 'B')
  t.same(bodies(await receive(c)), ['b1'], 'group A waits for a1; group B is not held')
  clock.advance(1000)
  const first = await receive(c)
  t.same(bodies(first), ['a1'], 'a1 first, once its delay is over')
  t.same(await receive(c), [], 'a2 waits while a1 is out')
  await c.request({ op: 'ack', receipt: first[0]?.receipt })
  t.same(bodies(await receive(c)), ['a2'], 'then a2')
})

t.test('a message published before the delay grew is not held back by a delayed one behind it', async (t) => {
  const clock = new ManualClock()
  const { c } = await brokerOn(t, clock)
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  await publish(c, 'a0', 'A')
  await c.request({ op: 'declare', queue: 'f', delay: 5 })
  await publish(c, 'a1', 'A')
  const first = await receive(c)
  t.same(bodies(first), ['a0'], 'a0 goes at once')
  await c.request({ op: 'ack', receipt: first[0]?.receipt })
  t.same(await receive(c), [], 'a1 still waits out its delay')
  clock.advance(5000)
  t.same(bodies(await receive(c)), ['a1'])
})

t.test('the delayed message keeps its group across a restart', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const clock = new ManualClock()
  const first = await brokerOn(t, clock, new LogJournal({ dir: dir.path }))
  await first.c.request({ op: 'declare', queue: 'f', fifo: true, delay: 10 })
  await publish(first.c, 'a1', 'A')
  await first.c.request({ op: 'declare', queue: 'f', delay: 0 })
  await publish(first.c, 'a2', 'A')
  await first.stop()

  const second = await brokerOn(t, clock, new LogJournal({ dir: dir.path }))
  t.same(await receive(second.c), [], 'after the restart a2 still waits behind a1')
  clock.advance(10_000)
  const out = await receive(second.c)
  t.same(bodies(out), ['a1'], 'a1 first')
  await second.c.request({ op: 'ack', receipt: out[0]?.receipt })
  t.same(bodies(await receive(second.c)), ['a2'], 'then a2')
})

t.test('a purged delayed message lets its group go', async (t) => {
  const clock = new ManualClock()
  const { c } = await brokerOn(t, clock)
  await c.request({ op: 'declare', queue: 'f', fifo: true, delay: 100 })
  await publish(c, 'a1', 'A')
  t.equal((await c.request({ op: 'purge', queue: 'f' })).ok, true)
  await c.request({ op: 'declare', queue: 'f', delay: 0 })
  await publish(c, 'a2', 'A')
  t.same(bodies(await receive(c)), ['a2'], 'a purged delayed message holds nothing')
})
