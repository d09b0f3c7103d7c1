// A client that ends its write side (a TCP half-close) after pipelined requests still gets every
// reply, in order, and then the broker closes; its subscriptions push nothing more and what they
// had delivered is released at the close (PROTOCOL.md §2 "Closing", broker/session.ts).
import t from 'tap'
import { LocalStore } from '../../broker/store/local/store.js'
import { LogJournal } from '../../broker/store/log/journal.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import { startBroker, tempDir, TestClient, type Frame } from '../helpers/broker.js'
import { recordingLogger } from '../hardening/helpers.js'
import { WatchedClock } from '../helpers/clock.js'

/** Every reply the client read before the broker closed the connection (pushes are in `deliveries`). */
async function repliesUntilClosed(c: TestClient): Promise<Frame[]> {
  await c.closed
  const replies: Frame[] = []
  for (;;) {
    // A reply already read resolves at once, ahead of the `undefined` that says there is none left.
    const reply = await Promise.race([c.reply(), Promise.resolve(undefined)])
    if (reply === undefined) return replies
    replies.push(reply)
  }
}

/** Until the broker has read the client's end (its log says so; there is no event to wait on). */
async function endRead(recorded: { text(): string }): Promise<void> {
  const deadline = Date.now() + 5000
  while (!recorded.text().includes('client ended its side') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

for (const mode of ['binary', 'text'] as const) {
  t.test(`${mode}: requests read before the client's end are all answered, then the broker closes`, async (t) => {
    const dir = tempDir()
    t.teardown(() => dir.remove())
    // The log journal fsyncs every publish before its reply: those replies come after the end.
    const clock = new WatchedClock()
    const b = await startBroker({ store: new LocalStore({ journal: new LogJournal({ dir: dir.path }), clock }), clock })
    t.teardown(() => b.stop())
    const c = await TestClient.connect(b.port, mode)
    const polling = clock.timerSet(1000)
    const publishes = 300
    c.send({ op: 'ping', id: 'ping' })
    c.send({ op: 'declare', id: 'declare', queue: 'jobs' })
    for (let i = 0; i < publishes; i++) c.send({ op: 'publish', id: i, queue: 'jobs', body: i })
    c.send({ op: 'publish', id: 'batch', queue: 'jobs', messages: [{ body: 'a' }, { body: 'b' }] })
    c.send({ op: 'receive', id: 'poll', queue: 'empty', wait: 1 })
    c.send({ op: 'stats', id: 'stats', queue: 'jobs' })
    c.socket.end()
    // The long poll runs after the publishes before it are on disk, then waits out its second.
    await polling
    clock.advance(1000)
    const replies = await repliesUntilClosed(c)
    t.same(replies.map((r) => r.id), ['ping', 'declare', ...Array.from({ length: publishes }, (_, i) => i), 'batch', 'poll', 'stats'], 'every reply, in request order')
    t.ok(replies.every((r) => r.ok === true), 'all successes')
    t.same(replies[publishes + 3]?.messages, [], 'the long poll ran its course')
    t.match(replies[publishes + 4], { queues: [{ queue: 'jobs', ready: publishes + 2 }] })
    t.equal(c.socket.readableEnded, true, 'the broker ended the connection')
  })
}

t.test('a subscriber that ends its side gets no more pushes; what it was pushed is released at the close', async (t) => {
  const recorded = recordingLogger()
  const clock = new WatchedClock()
  const b = await startBroker({ store: new LocalStore({ journal: new MemoryJournal(), clock }), clock, log: recorded.log })
  t.teardown(() => b.stop())
  const producer = await TestClient.connect(b.port)
  t.teardown(() => producer.close())
  await producer.request({ op: 'publish', queue: 'mail', body: 'm1' })

  const sub = await TestClient.connect(b.port)
  t.match(await sub.request({ op: 'subscribe', id: 1, queue: 'mail', prefetch: 10 }), { id: 1, ok: true })
  const [first] = await sub.waitDeliveries(1)
  t.match(first, { op: 'deliver', body: 'm1' })
  // A long poll keeps the half-closed connection open for a while: pushes could still be made.
  const polling = clock.timerSet(1000)
  sub.send({ op: 'receive', id: 2, queue: 'idle', wait: 1 })
  sub.socket.end()
  await endRead(recorded)
  t.match(recorded.text(), 'client ended its side', 'the broker read the end')
  await producer.request({ op: 'publish', queue: 'mail', body: 'm2' })
  await producer.request({ op: 'publish', queue: 'mail', body: 'm3' })
  await polling
  clock.advance(1000)

  t.same((await repliesUntilClosed(sub)).map((r) => [r.id, r.messages]), [[2, []]], 'the long poll is answered, then the close')
  t.equal(sub.deliveries.length, 1, 'nothing was pushed after the end')
  const stats = await producer.request({ op: 'stats', queue: 'mail' })
  t.match(stats, { queues: [{ queue: 'mail', ready: 3, inflight: 0 }] }, 'm1 is back, m2 and m3 were never taken')
  const got = await producer.request({ op: 'receive', queue: 'mail', max: 3 })
  t.same(got.messages.map((m: Frame) => [m.body, m.receives]), [['m1', 2], ['m2', 1], ['m3', 1]])
})

t.test('a subscribe answered after the client\'s end pushes nothing either', async (t) => {
  const recorded = recordingLogger()
  const clock = new WatchedClock()
  const b = await startBroker({ store: new LocalStore({ journal: new MemoryJournal(), clock }), clock, log: recorded.log })
  t.teardown(() => b.stop())
  const producer = await TestClient.connect(b.port)
  t.teardown(() => producer.close())
  await producer.request({ op: 'publish', queue: 'mail', body: 'm1' })
  const sub = await TestClient.connect(b.port)
  // The long poll holds the subscribe back (it waits for what came before it) until after the end.
  const polling = clock.timerSet(1000)
  sub.send({ op: 'receive', id: 1, queue: 'idle', wait: 1 })
  sub.send({ op: 'subscribe', id: 2, queue: 'mail' })
  sub.socket.end()
  await polling
  await endRead(recorded)
  clock.advance(1000)
  const replies = await repliesUntilClosed(sub)
  t.match(replies, [{ id: 1, ok: true, messages: [] }, { id: 2, ok: true }])
  t.equal(sub.deliveries.length, 0, 'no push')
  t.match(await producer.request({ op: 'stats', queue: 'mail' }), { queues: [{ queue: 'mail', ready: 1, inflight: 0 }] })
})
