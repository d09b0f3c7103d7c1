// peek shows the messages in one state and changes nothing: receive counts, order and
// visibility deadlines are the same after any number of peeks.
import t, { type Test } from 'tap'
import { ManualClock } from '../../shared/clock.js'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'

async function setup(t: Test) {
  const clock = new ManualClock()
  const b = await startBroker({ clock })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  return { c, clock }
}

const view = (messages: Frame[]): unknown[] => messages.map((m) => [m.body, m.receives])

t.test('peek in every state, then everything behaves as if nobody looked', async (t) => {
  const { c, clock } = await setup(t)
  await c.request({ op: 'declare', queue: 'q', visibilityTimeout: 10 })
  await c.request({ op: 'publish', queue: 'q', messages: [1, 2, 3, 4].map((body) => ({ body, attrs: { n: String(body) } })) })
  await c.request({ op: 'publish', queue: 'q', body: 'later', delay: 30 })
  const out = (await c.request({ op: 'receive', queue: 'q', max: 2 })).messages as Frame[]
  t.same(view(out), [[1, 1], [2, 1]])
  clock.advance(4_000)

  for (let round = 0; round < 3; round++) {
    const ready = await c.request({ op: 'peek', queue: 'q' })
    t.same(view(ready.messages), [[3, 0], [4, 0]], 'ready: in order, never received')
    t.same(ready.messages[0].attrs, { n: '3' })
    t.notOk('receipt' in ready.messages[0], 'no receipt is handed out')
    const inflight = await c.request({ op: 'peek', queue: 'q', state: 'inflight' })
    t.same(view(inflight.messages), [[1, 1], [2, 1]], 'inflight: receive counts as they are')
    const delayed = await c.request({ op: 'peek', queue: 'q', state: 'delayed' })
    t.same(view(delayed.messages), [['later', 0]])
    t.same((await c.request({ op: 'peek', queue: 'q', max: 1 })).messages.length, 1, 'max limits the answer')
  }
  t.match((await c.request({ op: 'stats', queue: 'q' })).queues[0], { ready: 2, inflight: 2, delayed: 1, published: 5 })

  // The receipts still work and the deadlines did not move.
  t.equal((await c.request({ op: 'ack', receipt: out[0]?.receipt })).acked, 1)
  clock.advance(5_999)
  const next = (await c.request({ op: 'receive', queue: 'q', max: 10 })).messages as Frame[]
  t.same(view(next), [[3, 1], [4, 1]], 'ready order kept')
  clock.advance(1)
  const redelivered = (await c.request({ op: 'receive', queue: 'q', max: 10 })).messages as Frame[]
  t.same(view(redelivered), [[2, 2]], '2 timed out on schedule')
  const receipts = [...next, ...redelivered].map((m) => m.receipt)
  t.equal((await c.request({ op: 'ack', receipts })).acked, 3)
  clock.advance(20_000)
  t.same(view((await c.request({ op: 'receive', queue: 'q', max: 10 })).messages), [['later', 1]], 'the delay ended on schedule')
})

t.test('peek on a fifo queue shows waiting group messages as ready and frees nothing', async (t) => {
  const { c } = await setup(t)
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  await c.request({ op: 'publish', queue: 'f', messages: [{ body: 1, group: 'g' }, { body: 2, group: 'g' }] })
  const [m1] = (await c.request({ op: 'receive', queue: 'f' })).messages
  const ready = await c.request({ op: 'peek', queue: 'f' })
  t.same(ready.messages.map((m: Frame) => [m.body, m.group]), [[2, 'g']])
  t.same((await c.request({ op: 'peek', queue: 'f', state: 'inflight' })).messages.map((m: Frame) => m.body), [1])
  t.same((await c.request({ op: 'receive', queue: 'f' })).messages, [], 'the group is still busy')
  await c.request({ op: 'ack', receipt: m1.receipt })
  t.same((await c.request({ op: 'receive', queue: 'f' })).messages.map((m: Frame) => m.body), [2])
})

t.test('peek refuses unknown queues and states', async (t) => {
  const { c } = await setup(t)
  t.equal((await c.request({ op: 'peek', queue: 'nowhere' })).error?.code, 'not_found')
  await c.request({ op: 'declare', queue: 'q' })
  t.equal((await c.request({ op: 'peek', queue: 'q', state: 'gone' })).error?.code, 'bad_request')
  t.equal((await c.request({ op: 'peek', queue: 'q', max: 0 })).error?.code, 'bad_request')
  t.same(await c.request({ op: 'peek', id: 3, queue: 'q', state: 'delayed' }), { id: 3, ok: true, messages: [] })
})
