// A dedupId seen on a fifo queue in the last 5 minutes answers with the first mid and stores
// nothing; the window is measured on the injected clock and rebuilt by replay after a restart.
import t, { type Test } from 'tap'
import { ManualClock } from '../../shared/clock.js'
import { openWithClient, TestClient, type Frame } from '../helpers/broker.js'
import { RecordingJournal } from '../topics/recording-journal.js'

const WINDOW_MS = 5 * 60 * 1000

async function open(t: Test, clock: ManualClock, journal = new RecordingJournal()) {
  const { c, stop } = await openWithClient(t, { clock, journal })
  return { c, journal, stop }
}

async function bodies(c: TestClient, queue = 'f'): Promise<unknown[]> {
  const reply = await c.request({ op: 'peek', queue, max: 100 })
  return (reply.messages as Frame[]).map((m) => m.body)
}

t.test('a repeated dedupId within the window gets the first mid and is not stored', async (t) => {
  const clock = new ManualClock()
  const { c, journal } = await open(t, clock)
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  const first = await c.request({ op: 'publish', queue: 'f', body: 'one', group: 'g', dedupId: 'd1' })
  clock.advance(WINDOW_MS - 1)
  const repeat = await c.request({ op: 'publish', queue: 'f', body: 'two', group: 'other', dedupId: 'd1' })
  t.equal(repeat.mid, first.mid, 'answered with the first mid')
  t.same(await bodies(c), ['one'], 'stored once')
  t.equal(journal.records.filter((r) => r.type === 'publish').length, 1, 'journaled once')
  t.match((await c.request({ op: 'stats', queue: 'f' })).queues[0], { published: 1, ready: 1 })
  // Acking the message does not end the window.
  const [m] = (await c.request({ op: 'receive', queue: 'f' })).messages
  await c.request({ op: 'ack', receipt: m.receipt })
  const afterAck = await c.request({ op: 'publish', queue: 'f', body: 'three', group: 'g', dedupId: 'd1' })
  t.equal(afterAck.mid, first.mid)
  t.same(await bodies(c), [])
})

t.test('after the window the same dedupId is a new message', async (t) => {
  const clock = new ManualClock()
  const { c } = await open(t, clock)
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  const first = await c.request({ op: 'publish', queue: 'f', body: 'one', group: 'g', dedupId: 'd1' })
  clock.advance(WINDOW_MS)
  const later = await c.request({ op: 'publish', queue: 'f', body: 'two', group: 'g', dedupId: 'd1' })
  t.not(later.mid, first.mid)
  t.same(await bodies(c), ['one', 'two'])
  // The new message opened a new window of its own.
  clock.advance(WINDOW_MS - 1)
  const repeat = await c.request({ op: 'publish', queue: 'f', body: 'three', group: 'g', dedupId: 'd1' })
  t.equal(repeat.mid, later.mid)
})

t.test('dedup inside one batch, per queue, and only on fifo queues', async (t) => {
  const clock = new ManualClock()
  const { c } = await open(t, clock)
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  await c.request({ op: 'declare', queue: 'f2', fifo: true })
  const batch = await c.request({
    op: 'publish', queue: 'f',
    messages: [{ body: 1, group: 'g', dedupId: 'x' }, { body: 2, group: 'g', dedupId: 'x' }, { body: 3, group: 'g', dedupId: 'y' }],
  })
  t.equal(batch.mids[0], batch.mids[1])
  t.not(batch.mids[2], batch.mids[0])
  t.same(await bodies(c), [1, 3])
  const elsewhere = await c.request({ op: 'publish', queue: 'f2', body: 4, group: 'g', dedupId: 'x' })
  t.not(elsewhere.mid, batch.mids[0], 'another queue has its own window')
  await c.request({ op: 'publish', queue: 'plain', body: 5, dedupId: 'x' })
  await c.request({ op: 'publish', queue: 'plain', body: 6, dedupId: 'x' })
  t.same(await bodies(c, 'plain'), [5, 6], 'standard queues do not deduplicate')
})

t.test('a refused publish does not take its dedupId', async (t) => {
  const clock = new ManualClock()
  const { c } = await open(t, clock)
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  const refused = await c.request({
    op: 'publish', queue: 'f', messages: [{ body: 1, group: 'g', dedupId: 'z' }, { body: 2, dedupId: 'w' }],
  })
  t.equal(refused.error?.code, 'bad_request')
  const ok = await c.request({ op: 'publish', queue: 'f', body: 3, group: 'g', dedupId: 'z' })
  t.equal(ok.ok, true)
  t.same(await bodies(c), [3])
})

t.test('the dedup window survives a restart, and ends on time after it', async (t) => {
  const clock = new ManualClock()
  const before = await open(t, clock)
  await before.c.request({ op: 'declare', queue: 'f', fifo: true })
  const first = await before.c.request({ op: 'publish', queue: 'f', body: 'one', group: 'g', dedupId: 'd1' })
  clock.advance(60_000)
  const second = await before.c.request({ op: 'publish', queue: 'f', body: 'two', group: 'g', dedupId: 'd2' })
  const [m] = (await before.c.request({ op: 'receive', queue: 'f' })).messages
  await before.c.request({ op: 'ack', receipt: m.receipt })
  await before.stop()

  clock.advance(60_000)
  const after = await open(t, clock, new RecordingJournal(before.journal))
  const again = await after.c.request({ op: 'publish', queue: 'f', body: 'x', group: 'g', dedupId: 'd1' })
  t.equal(again.mid, first.mid, 'an acked message still dedups after a restart')
  t.same(await bodies(after.c), ['two'])
  clock.advance(WINDOW_MS - 120_000)
  const fresh = await after.c.request({ op: 'publish', queue: 'f', body: 'three', group: 'g', dedupId: 'd1' })
  t.not(fresh.mid, first.mid, 'd1 expired five minutes after its first publish')
  const stillSeen = await after.c.request({ op: 'publish', queue: 'f', body: 'y', group: 'g', dedupId: 'd2' })
  t.equal(stillSeen.mid, second.mid, 'd2, a minute younger, is still in its window')
  t.same(await bodies(after.c), ['two', 'three'])
})

t.test('a fifo group held by a nack delay is still held after a restart', async (t) => {
  const clock = new ManualClock()
  const before = await open(t, clock)
  await before.c.request({ op: 'declare', queue: 'f', fifo: true })
  await before.c.request({ op: 'publish', queue: 'f', messages: [{ body: 1, group: 'g' }, { body: 2, group: 'g' }] })
  const [m] = (await before.c.request({ op: 'receive', queue: 'f' })).messages
  await before.c.request({ op: 'nack', receipt: m.receipt, delay: 20 })
  await before.stop()

  const after = await open(t, clock, new RecordingJournal(before.journal))
  t.same((await after.c.request({ op: 'receive', queue: 'f' })).messages, [], '2 may not overtake 1')
  clock.advance(20_000)
  const next = (await after.c.request({ op: 'receive', queue: 'f' })).messages as Frame[]
  t.same(next.map((x) => [x.body, x.receives]), [[1, 2]])
})
