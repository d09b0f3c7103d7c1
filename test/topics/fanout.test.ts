import t, { type Test } from 'tap'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'
import { RecordingJournal } from './recording-journal.js'

async function setup(t: Test, journal = new RecordingJournal()) {
  const b = await startBroker({ journal })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  return { b, c, journal }
}

/** Every message a queue holds, in order, without changing anything. */
async function contents(c: TestClient, queue: string): Promise<Frame[]> {
  const reply = await c.request({ op: 'peek', queue, max: 100 })
  return reply.messages as Frame[]
}

t.test('a topic fans one publish out to every bound queue, as one journal record', async (t) => {
  const { c, journal } = await setup(t)
  t.same(await c.request({ op: 'topic', id: 1, topic: 'orders' }), { id: 1, ok: true, topic: 'orders', created: true })
  t.same(await c.request({ op: 'topic', id: 2, topic: 'orders' }), { id: 2, ok: true, topic: 'orders', created: false })
  for (const queue of ['billing', 'shipping', 'audit']) {
    t.same(await c.request({ op: 'bind', id: queue, topic: 'orders', queue }), { id: queue, ok: true })
  }
  const pub = await c.request({ op: 'publish', topic: 'orders', body: { order: 7 }, attrs: { kind: 'new' } })
  t.equal(pub.ok, true)
  for (const queue of ['billing', 'shipping', 'audit']) {
    const got = await c.request({ op: 'receive', queue })
    t.equal(got.messages.length, 1, `${queue} got the message`)
    t.equal(got.messages[0].mid, pub.mid, `${queue} has the same mid`)
    t.same(got.messages[0].body, { order: 7 })
    t.same(got.messages[0].attrs, { kind: 'new' })
    t.equal(got.messages[0].queue, queue)
  }
  const publishes = journal.records.filter((r) => r.type === 'publish')
  t.equal(publishes.length, 1, 'one record for the whole fan-out')
  t.same(publishes[0] && 'queues' in publishes[0] ? [...publishes[0].queues].sort() : [], ['audit', 'billing', 'shipping'])
})

t.test('filters match as SNS simple filter policies: every key present with one of its values', async (t) => {
  const { c } = await setup(t)
  await c.request({ op: 'topic', topic: 'events' })
  await c.request({ op: 'bind', topic: 'events', queue: 'colors', filter: { color: ['red', 'blue'] } })
  await c.request({ op: 'bind', topic: 'events', queue: 'big-red', filter: { color: ['red'], size: ['L', 'XL'] } })
  await c.request({ op: 'bind', topic: 'events', queue: 'all' })
  const cases: [Record<string, string> | undefined, string[]][] = [
    [{ color: 'red', size: 'XL' }, ['colors', 'big-red', 'all']],
    [{ color: 'red', size: 'S' }, ['colors', 'all']],
    [{ color: 'blue', size: 'L' }, ['colors', 'all']],
    [{ color: 'green' }, ['all']],
    [{ size: 'L' }, ['all']],
    [{ Color: 'red' }, ['all']],
    [undefined, ['all']],
  ]
  const expected: Record<string, string[]> = { colors: [], 'big-red': [], all: [] }
  for (const [attrs, queues] of cases) {
    const pub = await c.request({ op: 'publish', topic: 'events', body: attrs ?? null, ...(attrs ? { attrs } : {}) })
    t.equal(pub.ok, true)
    for (const q of queues) expected[q]?.push(pub.mid)
  }
  for (const [queue, mids] of Object.entries(expected)) {
    t.same((await contents(c, queue)).map((m) => m.mid), mids, `${queue} holds exactly the matching messages in order`)
  }
})

t.test('a publish that matches no binding is confirmed and stored nowhere', async (t) => {
  const { c, journal } = await setup(t)
  await c.request({ op: 'topic', topic: 'quiet' })
  await c.request({ op: 'bind', topic: 'quiet', queue: 'only-x', filter: { x: ['1'] } })
  const pub = await c.request({ op: 'publish', topic: 'quiet', body: 1, attrs: { x: '2' } })
  t.equal(pub.ok, true)
  t.type(pub.mid, 'string')
  t.same(await contents(c, 'only-x'), [])
  t.equal(journal.records.filter((r) => r.type === 'publish').length, 0)
})

t.test('a batch to a topic fans each message out by its own attrs', async (t) => {
  const { c } = await setup(t)
  await c.request({ op: 'topic', topic: 'batch' })
  await c.request({ op: 'bind', topic: 'batch', queue: 'evens', filter: { parity: ['even'] } })
  await c.request({ op: 'bind', topic: 'batch', queue: 'odds', filter: { parity: ['odd'] } })
  const messages = [1, 2, 3, 4, 5].map((n) => ({ body: n, attrs: { parity: n % 2 ? 'odd' : 'even' } }))
  const pub = await c.request({ op: 'publish', topic: 'batch', messages })
  t.equal(pub.mids.length, 5)
  t.same((await contents(c, 'odds')).map((m) => m.body), [1, 3, 5])
  t.same((await contents(c, 'evens')).map((m) => m.body), [2, 4])
})

t.test('unbind stops the fan-out to that queue only', async (t) => {
  const { c } = await setup(t)
  await c.request({ op: 'topic', topic: 'news' })
  await c.request({ op: 'bind', topic: 'news', queue: 'a' })
  await c.request({ op: 'bind', topic: 'news', queue: 'b' })
  await c.request({ op: 'publish', topic: 'news', body: 'first' })
  t.same(await c.request({ op: 'unbind', id: 9, topic: 'news', queue: 'a' }), { id: 9, ok: true })
  await c.request({ op: 'publish', topic: 'news', body: 'second' })
  t.same((await contents(c, 'a')).map((m) => m.body), ['first'])
  t.same((await contents(c, 'b')).map((m) => m.body), ['first', 'second'])
  const again = await c.request({ op: 'unbind', topic: 'news', queue: 'a' })
  t.equal(again.error?.code, 'not_found', 'unbinding what is not bound is not_found')
})

t.test('binding again replaces the filter', async (t) => {
  const { c } = await setup(t)
  await c.request({ op: 'topic', topic: 'swap' })
  await c.request({ op: 'bind', topic: 'swap', queue: 'q', filter: { k: ['a'] } })
  await c.request({ op: 'bind', topic: 'swap', queue: 'q', filter: { k: ['b'] } })
  await c.request({ op: 'publish', topic: 'swap', body: 'a', attrs: { k: 'a' } })
  await c.request({ op: 'publish', topic: 'swap', body: 'b', attrs: { k: 'b' } })
  t.same((await contents(c, 'q')).map((m) => m.body), ['b'])
  const stats = await c.request({ op: 'stats' })
  t.same(stats.topics, [{ topic: 'swap', bindings: [{ queue: 'q', filter: { k: ['b'] } }] }])
})

t.test('unknown topics and bad filters are refused with clear codes', async (t) => {
  const { c } = await setup(t)
  t.equal((await c.request({ op: 'publish', topic: 'nope', body: 1 })).error?.code, 'not_found')
  t.equal((await c.request({ op: 'bind', topic: 'nope', queue: 'q' })).error?.code, 'not_found')
  t.equal((await c.request({ op: 'unbind', topic: 'nope', queue: 'q' })).error?.code, 'not_found')
  await c.request({ op: 'topic', topic: 'ok' })
  for (const filter of [[], 'x', { k: 'v' }, { k: [] }, { k: [1] }]) {
    const reply = await c.request({ op: 'bind', topic: 'ok', queue: 'q', filter })
    t.equal(reply.error?.code, 'bad_request', `filter ${JSON.stringify(filter)} is refused`)
  }
  t.equal((await c.request({ op: 'topic', topic: 'bad name!' })).error?.code, 'bad_request')
  t.equal((await c.request({ op: 'publish', topic: 'ok', queue: 'q', body: 1 })).error?.code, 'bad_request')
})

t.test('a fan-out that cannot go to one queue goes to none', async (t) => {
  const { c, journal } = await setup(t)
  await c.request({ op: 'declare', queue: 'plain' })
  await c.request({ op: 'declare', queue: 'ordered', fifo: true })
  await c.request({ op: 'topic', topic: 'mixed' })
  await c.request({ op: 'bind', topic: 'mixed', queue: 'plain' })
  await c.request({ op: 'bind', topic: 'mixed', queue: 'ordered' })
  const refused = await c.request({ op: 'publish', topic: 'mixed', body: 1 })
  t.equal(refused.error?.code, 'bad_request')
  t.match(refused.error?.message, /ordered.*fifo.*group/)
  t.same(await contents(c, 'plain'), [], 'the standard queue did not get it either')
  t.equal(journal.records.filter((r) => r.type === 'publish').length, 0)
  const ok = await c.request({ op: 'publish', topic: 'mixed', body: 2, group: 'g' })
  t.equal(ok.ok, true)
  t.same((await contents(c, 'plain')).map((m) => m.body), [2])
  t.same((await contents(c, 'ordered')).map((m) => [m.body, m.group]), [[2, 'g']])
})

t.test('stats lists topics with their bindings', async (t) => {
  const { c } = await setup(t)
  await c.request({ op: 'topic', topic: 't1' })
  await c.request({ op: 'topic', topic: 't2' })
  await c.request({ op: 'bind', topic: 't1', queue: 'q1', filter: { a: ['x', 'y'] } })
  await c.request({ op: 'bind', topic: 't1', queue: 'q2' })
  const stats = await c.request({ op: 'stats' })
  t.same(stats.topics, [
    { topic: 't1', bindings: [{ queue: 'q1', filter: { a: ['x', 'y'] } }, { queue: 'q2' }] },
    { topic: 't2', bindings: [] },
  ])
  t.same(stats.queues.map((q: Frame) => q.queue).sort(), ['q1', 'q2'], 'bind declares its queue')
  await c.request({ op: 'drop', queue: 'q1' })
  const after = await c.request({ op: 'stats' })
  t.same(after.topics[0].bindings, [{ queue: 'q2' }], 'dropping a queue removes its bindings')
})
