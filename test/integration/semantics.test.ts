// Queue semantics with time under the test's control (PROTOCOL.md §6): the broker's timers run on
// a ManualClock, so nothing here sleeps.
import t from 'tap'
import { fixture, ok, type Frame } from './fixture.js'

const bodies = (reply: Frame): unknown[] => reply.messages.map((m: Frame) => m.body)

t.test('visibility timeout: redelivery with a higher receive count, the old receipt dies', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'q', visibilityTimeout: 10 })
  await ok(c, { op: 'publish', queue: 'q', body: 'job' })
  const first = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  t.equal(first.receives, 1)
  f.clock.advance(9_999)
  t.same((await ok(c, { op: 'receive', queue: 'q' })).messages, [], 'invisible until the timeout runs out')
  f.clock.advance(1)
  const second = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  t.equal(second.mid, first.mid)
  t.equal(second.receives, 2)
  t.not(second.receipt, first.receipt, 'a new receipt per delivery')
  t.equal((await c.request({ op: 'ack', receipt: first.receipt })).error?.code, 'unknown_receipt', 'the expired receipt')
  t.same(await c.request({ op: 'ack', id: 1, receipt: second.receipt }), { id: 1, ok: true, acked: 1 })
  f.clock.advance(60_000)
  t.same((await ok(c, { op: 'receive', queue: 'q' })).messages, [], 'acked is gone for good')
})

t.test('receive visibilityTimeout overrides the queue setting for that delivery', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'publish', queue: 'q', body: 1 })
  await ok(c, { op: 'receive', queue: 'q', visibilityTimeout: 2 })
  f.clock.advance(2_000)
  t.equal((await ok(c, { op: 'receive', queue: 'q' })).messages[0]?.receives, 2)
})

t.test('a redelivery goes to the front of the queue', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'q', visibilityTimeout: 5 })
  await ok(c, { op: 'publish', queue: 'q', body: 'a' })
  await ok(c, { op: 'receive', queue: 'q' })
  await ok(c, { op: 'publish', queue: 'q', messages: [{ body: 'b' }, { body: 'c' }] })
  f.clock.advance(5_000)
  t.same(bodies(await ok(c, { op: 'receive', queue: 'q', max: 3 })), ['a', 'b', 'c'])
})

t.test('touch extends the visibility timeout; touch 0 releases at once', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'q', visibilityTimeout: 10 })
  await ok(c, { op: 'publish', queue: 'q', body: 1 })
  const m = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  f.clock.advance(8_000)
  t.same(await c.request({ op: 'touch', id: 't', receipt: m.receipt, timeout: 30 }), { id: 't', ok: true })
  f.clock.advance(29_999)
  t.same((await ok(c, { op: 'receive', queue: 'q' })).messages, [], 'still invisible 29.999 s after the touch')
  t.same(await c.request({ op: 'touch', id: 'z', receipt: m.receipt, timeout: 0 }), { id: 'z', ok: true })
  const again = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  t.equal(again.receives, 2, 'touch with timeout 0 made it visible now')
  t.equal((await c.request({ op: 'touch', receipt: m.receipt, timeout: 5 })).error?.code, 'unknown_receipt')
  t.equal((await c.request({ op: 'touch', receipt: again.receipt })).error?.code, 'bad_request', 'timeout is required')
})

t.test('nack: back at once, or after a delay', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'publish', queue: 'q', messages: [{ body: 'a' }, { body: 'b' }] })
  const a = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  t.same(await c.request({ op: 'nack', id: 1, receipt: a.receipt }), { id: 1, ok: true })
  const again = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  t.same([again.body, again.receives], ['a', 2], 'nacked goes to the front')
  t.same(await c.request({ op: 'nack', id: 2, receipt: again.receipt, delay: 5 }), { id: 2, ok: true })
  t.equal((await c.request({ op: 'nack', receipt: again.receipt })).error?.code, 'unknown_receipt', 'the receipt is spent')
  t.match((await ok(c, { op: 'stats', queue: 'q' })).queues, [{ ready: 1, inflight: 0, delayed: 1 }])
  t.same(bodies(await ok(c, { op: 'receive', queue: 'q', max: 5 })), ['b'], 'a is delayed')
  f.clock.advance(4_999)
  t.same((await ok(c, { op: 'receive', queue: 'q' })).messages, [])
  f.clock.advance(1)
  const late = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  t.same([late.body, late.receives], ['a', 3])
})

t.test('a closed connection releases what it had in flight at once', async (t) => {
  const f = await fixture(t)
  const first = await f.connect()
  const second = await f.connect()
  await ok(first, { op: 'publish', queue: 'q', messages: [{ body: 1 }, { body: 2 }] })
  const held = await ok(first, { op: 'receive', queue: 'q', max: 2 })
  t.equal(held.messages.length, 2)
  // The second client long-polls; the release (not the clock) wakes it.
  const polling = f.clock.timerSet(20_000)
  second.send({ op: 'receive', id: 'poll', queue: 'q', wait: 20, max: 5 })
  await polling
  await first.close()
  const reply = await second.reply()
  t.equal(reply.id, 'poll')
  t.same(reply.messages.map((m: Frame) => [m.body, m.receives]), [[1, 2], [2, 2]], 'both again, receives counted')
})

t.test('maxReceives moves a message to its dead-letter queue; redrive brings it back', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'work', maxReceives: 2, deadLetter: 'work.dead', visibilityTimeout: 10 })
  const { mid } = await ok(c, { op: 'publish', queue: 'work', body: 'poison' })
  const one = (await ok(c, { op: 'receive', queue: 'work' })).messages[0]
  await ok(c, { op: 'nack', receipt: one.receipt })
  const two = (await ok(c, { op: 'receive', queue: 'work' })).messages[0]
  t.equal(two.receives, 2)
  f.clock.advance(10_000) // the second release is a timeout, not a nack: same rule
  t.same((await ok(c, { op: 'receive', queue: 'work' })).messages, [], 'gone from work')
  const stats = await ok(c, { op: 'stats' })
  t.match(stats.queues, [{ queue: 'work', ready: 0, inflight: 0, deadLettered: 1 }, { queue: 'work.dead', ready: 1 }])
  const dead = (await ok(c, { op: 'peek', queue: 'work.dead' })).messages[0]
  t.same([dead.mid, dead.body, dead.receives], [mid, 'poison', 2], 'same mid and body, receive count kept')
  t.same(await c.request({ op: 'redrive', id: 'r', queue: 'work.dead' }), { id: 'r', ok: true, moved: 1 })
  const back = (await ok(c, { op: 'receive', queue: 'work' })).messages[0]
  t.same([back.mid, back.receives], [mid, 1], 'back in work with the count reset')
  t.same(await c.request({ op: 'redrive', id: 'r2', queue: 'work' }), { id: 'r2', ok: true, moved: 0 }, 'nothing to redrive')
})

t.test('maxReceives without deadLetter: the message stays', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'q', maxReceives: 1 })
  await ok(c, { op: 'publish', queue: 'q', body: 1 })
  for (let i = 1; i <= 3; i++) {
    const m = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
    t.equal(m?.receives, i)
    await ok(c, { op: 'nack', receipt: m.receipt })
  }
})

t.test('delayed messages: per message, and the queue default', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'publish', queue: 'q', body: 'later', delay: 10 })
  await ok(c, { op: 'publish', queue: 'q', body: 'now' })
  t.same(bodies(await ok(c, { op: 'receive', queue: 'q', max: 5 })), ['now'])
  t.match((await ok(c, { op: 'stats', queue: 'q' })).queues, [{ delayed: 1 }])
  f.clock.advance(9_999)
  t.same((await ok(c, { op: 'receive', queue: 'q' })).messages, [])
  f.clock.advance(1)
  t.same(bodies(await ok(c, { op: 'receive', queue: 'q' })), ['later'])

  await ok(c, { op: 'declare', queue: 'slow', delay: 3 })
  await ok(c, { op: 'publish', queue: 'slow', messages: [{ body: 'default' }, { body: 'explicit', delay: 0 }] })
  t.same(bodies(await ok(c, { op: 'receive', queue: 'slow', max: 5 })), ['explicit'], 'delay 0 overrides the queue default')
  f.clock.advance(3_000)
  t.same(bodies(await ok(c, { op: 'receive', queue: 'slow' })), ['default'])
})

t.test('retention: old messages expire', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'q', retention: 60 })
  await ok(c, { op: 'publish', queue: 'q', body: 'old' })
  f.clock.advance(30_000)
  await ok(c, { op: 'publish', queue: 'q', body: 'young' })
  f.clock.advance(31_000)
  t.match((await ok(c, { op: 'stats', queue: 'q' })).queues, [{ ready: 1 }], 'the sweep removed the old one')
  t.same(bodies(await ok(c, { op: 'receive', queue: 'q', max: 5 })), ['young'])
})

t.test('long-poll receive: woken by a publish, or empty when the wait ends', async (t) => {
  const f = await fixture(t)
  const consumer = await f.connect()
  const producer = await f.connect()
  let polling = f.clock.timerSet(5_000)
  consumer.send({ op: 'receive', id: 1, queue: 'q', wait: 5 })
  await polling
  const { mid } = await ok(producer, { op: 'publish', queue: 'q', body: 'hi' })
  const woken = await consumer.reply()
  t.same([woken.id, woken.messages[0]?.mid], [1, mid], 'the publish woke the poll')

  polling = f.clock.timerSet(2_000)
  consumer.send({ op: 'receive', id: 2, queue: 'q', wait: 2 })
  await polling
  f.clock.advance(1_999)
  consumer.send({ op: 'ping', id: 3 }) // held behind the receive (PROTOCOL.md §2)
  f.clock.advance(1)
  t.same(await consumer.reply(), { id: 2, ok: true, messages: [] }, 'empty after the wait')
  t.same(await consumer.reply(), { id: 3, ok: true })
})

t.test('fifo: in order within a group, one in flight per group, dedup for 5 minutes', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'f', fifo: true })
  t.equal((await c.request({ op: 'publish', queue: 'f', body: 1 })).error?.code, 'bad_request', 'group is required')
  const published = await ok(c, {
    op: 'publish', queue: 'f', messages: [
      { body: 'a1', group: 'a', dedupId: 'x' }, { body: 'a2', group: 'a' }, { body: 'b1', group: 'b' }, { body: 'b2', group: 'b' },
    ],
  })
  const got = await ok(c, { op: 'receive', queue: 'f', max: 10 })
  t.same(bodies(got), ['a1', 'b1'], 'one per group')
  t.equal(got.messages[0].group, 'a')
  t.same(bodies(await ok(c, { op: 'receive', queue: 'f', max: 10 })), [], 'both groups busy')
  await ok(c, { op: 'ack', receipt: got.messages[0].receipt })
  t.same(bodies(await ok(c, { op: 'receive', queue: 'f', max: 10 })), ['a2'])
  const dup = await ok(c, { op: 'publish', queue: 'f', body: 'again', group: 'a', dedupId: 'x' })
  t.equal(dup.mid, published.mids[0], 'a repeated dedupId answers with the first mid')
  f.clock.advance(5 * 60_000)
  const fresh = await ok(c, { op: 'publish', queue: 'f', body: 'again', group: 'a', dedupId: 'x' })
  t.not(fresh.mid, published.mids[0], 'after 5 minutes it is a new message')
})

t.test('a release on disconnect that dead-letters wakes a long poll on the dead-letter queue', async (t) => {
  const f = await fixture(t)
  const worker = await f.connect()
  const watcher = await f.connect()
  await ok(worker, { op: 'declare', queue: 'w', maxReceives: 1, deadLetter: 'w.dead' })
  await ok(worker, { op: 'declare', queue: 'w.dead' })
  const { mid } = await ok(worker, { op: 'publish', queue: 'w', body: 'doomed' })
  await ok(worker, { op: 'receive', queue: 'w' })
  const polling = f.clock.timerSet(20_000)
  watcher.send({ op: 'receive', id: 'dead', queue: 'w.dead', wait: 20 })
  await polling
  await worker.close()
  const reply = await watcher.reply()
  t.same([reply.id, reply.messages[0]?.mid, reply.messages[0]?.receives], ['dead', mid, 2])
})
