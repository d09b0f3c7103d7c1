// A fifo group is busy while one of its messages is out, and every way that message can end
// frees it: ack, nack, timeout, dead-lettering, purge, drop, a closed connection, retention.
import t, { type Test } from 'tap'
import { ManualClock } from '../../shared/clock.js'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'

async function setup(t: Test, declare: Frame = {}) {
  const clock = new ManualClock()
  const b = await startBroker({ clock })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.equal((await c.request({ op: 'declare', queue: 'f', fifo: true, ...declare })).ok, true)
  return { b, c, clock }
}

async function publish(c: TestClient, group: string, ...bodies: unknown[]): Promise<string[]> {
  const reply = await c.request({ op: 'publish', queue: 'f', messages: bodies.map((body) => ({ body, group })) })
  if (!reply.ok) throw new Error(JSON.stringify(reply))
  return reply.mids as string[]
}

async function receive(c: TestClient, max = 10, queue = 'f'): Promise<Frame[]> {
  const reply = await c.request({ op: 'receive', queue, max })
  return reply.messages as Frame[]
}

const bodiesOf = (messages: Frame[]): unknown[] => messages.map((m) => m.body)

t.test('one message per group is out at a time; other groups go on', async (t) => {
  const { c } = await setup(t)
  await publish(c, 'a', 'a1', 'a2', 'a3')
  await publish(c, 'b', 'b1', 'b2')
  const first = await receive(c)
  t.same(bodiesOf(first).sort(), ['a1', 'b1'], 'one from each group')
  t.same(first.map((m) => m.group).sort(), ['a', 'b'], 'deliveries name their group')
  t.same(await receive(c), [], 'both groups are busy')
  const a1 = first.find((m) => m.body === 'a1') as Frame
  await c.request({ op: 'ack', receipt: a1.receipt })
  t.same(bodiesOf(await receive(c)), ['a2'], 'ack frees group a only')
})

t.test('a nack redelivers the same message before the rest of its group', async (t) => {
  const { c } = await setup(t)
  await publish(c, 'g', 1, 2)
  const [m1] = await receive(c)
  await c.request({ op: 'nack', receipt: m1?.receipt })
  const again = await receive(c)
  t.same(again.map((m) => [m.body, m.receives]), [[1, 2]])
})

t.test('a nack with a delay keeps the group waiting for that message', async (t) => {
  const { c, clock } = await setup(t)
  await publish(c, 'g', 1, 2)
  await publish(c, 'other', 'x')
  const out = await receive(c)
  const m1 = out.find((m) => m.body === 1) as Frame
  const x = out.find((m) => m.body === 'x') as Frame
  t.equal((await c.request({ op: 'nack', receipt: m1.receipt, delay: 10 })).ok, true)
  await c.request({ op: 'ack', receipt: x.receipt })
  await publish(c, 'other', 'y')
  t.same(bodiesOf(await receive(c)), ['y'], 'only the other group delivers while 1 waits')
  const peeked = await c.request({ op: 'peek', queue: 'f', state: 'delayed' })
  t.same(bodiesOf(peeked.messages), [1])
  clock.advance(10_000)
  t.same((await receive(c)).map((m) => [m.body, m.receives]), [[1, 2]], 'then 1 again, before 2')
})

t.test('a visibility timeout redelivers in group order', async (t) => {
  const { c, clock } = await setup(t, { visibilityTimeout: 5 })
  await publish(c, 'g', 1, 2, 3)
  t.same(bodiesOf(await receive(c)), [1])
  clock.advance(4_999)
  t.same(await receive(c), [], 'still in flight')
  clock.advance(1)
  const again = await receive(c)
  t.same(again.map((m) => [m.body, m.receives]), [[1, 2]])
  await c.request({ op: 'ack', receipt: again[0]?.receipt })
  t.same(bodiesOf(await receive(c)), [2])
})

t.test('a message dead-lettered frees its group', async (t) => {
  const { c } = await setup(t, { maxReceives: 1, deadLetter: 'f-dead' })
  await publish(c, 'g', 1, 2)
  const [m1] = await receive(c)
  await c.request({ op: 'nack', receipt: m1?.receipt })
  t.same(bodiesOf(await receive(c)), [2], 'the next message of the group comes')
  const dead = await receive(c, 10, 'f-dead')
  t.same(dead.map((m) => [m.body, m.group]), [[1, 'g']])
})

t.test('purge frees a group whose message is out', async (t) => {
  const { c } = await setup(t)
  await publish(c, 'g', 1, 2)
  const [m1] = await receive(c)
  t.same((await c.request({ op: 'purge', queue: 'f' })).purged, 2)
  t.equal((await c.request({ op: 'ack', receipt: m1?.receipt })).error?.code, 'unknown_receipt')
  await publish(c, 'g', 3)
  t.same(bodiesOf(await receive(c)), [3])
  t.match((await c.request({ op: 'stats', queue: 'f' })).queues[0], { ready: 0, inflight: 1, delayed: 0 })
})

t.test('purge frees a group held by a nack delay', async (t) => {
  const { c, clock } = await setup(t)
  await publish(c, 'g', 1)
  const [m1] = await receive(c)
  await c.request({ op: 'nack', receipt: m1?.receipt, delay: 30 })
  await c.request({ op: 'purge', queue: 'f' })
  t.match((await c.request({ op: 'stats', queue: 'f' })).queues[0], { ready: 0, inflight: 0, delayed: 0 })
  await publish(c, 'g', 2)
  const [m2] = await receive(c)
  t.equal(m2?.body, 2)
  await c.request({ op: 'ack', receipt: m2?.receipt })
  clock.advance(30_000)
  t.same(await receive(c), [], 'the purged message does not come back')
})

t.test('drop and declare again start with free groups', async (t) => {
  const { c } = await setup(t)
  await publish(c, 'g', 1)
  const [m1] = await receive(c)
  t.ok(m1)
  await c.request({ op: 'drop', queue: 'f' })
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  await publish(c, 'g', 2)
  t.same(bodiesOf(await receive(c)), [2])
})

t.test('a closed connection frees the groups of what it held, order kept', async (t) => {
  const { b, c } = await setup(t)
  await publish(c, 'g', 1, 2)
  const holder = await TestClient.connect(b.port)
  const sub = await holder.request({ op: 'subscribe', queue: 'f', prefetch: 10 })
  t.equal(sub.ok, true)
  const [held] = await holder.waitDeliveries(1)
  t.equal(held?.body, 1)
  t.same(await receive(c), [], 'group busy while the subscriber holds 1')
  await holder.close()
  // The broker notices the close asynchronously; a long poll waits for it without sleeping.
  const reply = await c.request({ op: 'receive', queue: 'f', wait: 5 })
  t.same(reply.messages.map((m: Frame) => [m.body, m.receives]), [[1, 2]])
})

t.test('a message past its retention is skipped and frees its group', async (t) => {
  const { c, clock } = await setup(t, { retention: 10, visibilityTimeout: 60 })
  await publish(c, 'g', 1, 2)
  const [m1] = await receive(c)
  clock.advance(8_000)
  await publish(c, 'g', 3)
  clock.advance(3_000)
  await c.request({ op: 'ack', receipt: m1?.receipt })
  const next = await receive(c)
  t.same(bodiesOf(next), [3], '2 expired while waiting behind 1')
  await c.request({ op: 'ack', receipt: next[0]?.receipt })
  await publish(c, 'g', 4)
  t.same(bodiesOf(await receive(c)), [4], 'the group is free after the expiry')
  t.match((await c.request({ op: 'stats', queue: 'f' })).queues[0], { ready: 0, inflight: 1 })
})

t.test('the retention sweep expires waiting fifo messages, busy groups or not', async (t) => {
  const { c, clock } = await setup(t, { retention: 10, visibilityTimeout: 60 })
  await publish(c, 'busy', 1, 2)
  await publish(c, 'idle', 3)
  const [m1] = await receive(c, 1)
  t.equal(m1?.body, 1)
  clock.advance(11_000)
  t.match((await c.request({ op: 'stats', queue: 'f' })).queues[0], { ready: 0, inflight: 1 }, 'expired without a receive')
  t.same((await c.request({ op: 'peek', queue: 'f' })).messages, [])
  await c.request({ op: 'ack', receipt: m1?.receipt })
  t.same(await receive(c), [])
  await publish(c, 'idle', 4)
  await publish(c, 'busy', 5)
  t.same(bodiesOf(await receive(c)).sort(), [4, 5], 'both groups deliver again')
})

t.test('fifo publishes need a group and take no per-message delay', async (t) => {
  const { c } = await setup(t, { delay: 0 })
  const noGroup = await c.request({ op: 'publish', queue: 'f', body: 1 })
  t.same(noGroup.error, { code: 'bad_request', message: 'queue f is fifo: group is required' })
  const inBatch = await c.request({ op: 'publish', queue: 'f', messages: [{ body: 1, group: 'g' }, { body: 2 }] })
  t.equal(inBatch.error?.code, 'bad_request', 'one message without a group refuses the batch')
  const delayed = await c.request({ op: 'publish', queue: 'f', body: 1, group: 'g', delay: 5 })
  t.equal(delayed.error?.code, 'bad_request')
  t.match(delayed.error?.message, /fifo.*delay/)
  t.same(await c.request({ op: 'peek', queue: 'f' }), { ok: true, messages: [] }, 'nothing was stored')
  t.equal((await c.request({ op: 'declare', queue: 'f', fifo: false })).error?.code, 'bad_request')
})

t.test('a queue delay on a fifo queue keeps group order', async (t) => {
  const { c, clock } = await setup(t, { delay: 3 })
  await publish(c, 'g', 1, 2, 3)
  t.same(await receive(c), [])
  clock.advance(3_000)
  const order: unknown[] = []
  for (let i = 0; i < 3; i++) {
    const [m] = await receive(c)
    order.push(m?.body)
    await c.request({ op: 'ack', receipt: m?.receipt })
  }
  t.same(order, [1, 2, 3])
})
