// subscribe / unsubscribe with prefetch, and the deliver push (PROTOCOL.md §4.6, §4.7).
import t from 'tap'
import { fixture, ok, type Frame } from './fixture.js'

t.test('exactly prefetch unacked are pushed; each ack lets one more through', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  const sub = await ok(c, { op: 'subscribe', id: 's', queue: 'q', prefetch: 3 })
  t.match(sub, { id: 's', ok: true, sub: /.+/ })
  await ok(c, { op: 'publish', queue: 'q', messages: [1, 2, 3, 4, 5].map((body) => ({ body })) })
  // Pushes are written before any later reply on the connection, so a ping settles the count.
  await ok(c, { op: 'ping' })
  t.equal(c.deliveries.length, 3, 'prefetch 3: three pushed')
  const first = c.deliveries[0] as Frame
  t.same(Object.keys(first).sort(), ['attrs', 'body', 'mid', 'op', 'publishedAt', 'queue', 'receipt', 'receives', 'sub'])
  t.match(first, { op: 'deliver', sub: sub.sub, queue: 'q', body: 1, receives: 1 })
  t.same(c.deliveries.map((d) => d.body), [1, 2, 3], 'in publish order')
  await ok(c, { op: 'ack', receipt: first.receipt })
  t.equal(c.deliveries.length, 4, 'one ack, one more')
  t.equal(c.deliveries[3]?.body, 4)
  await ok(c, { op: 'ack', receipts: c.deliveries.slice(1, 4).map((d) => d.receipt) })
  t.same(c.deliveries.map((d) => d.body), [1, 2, 3, 4, 5], 'the rest')
  t.match((await ok(c, { op: 'stats', queue: 'q' })).queues, [{ ready: 0, inflight: 1, acked: 4 }])
})

t.test('deliveries waiting when subscribing come after the subscribe reply', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'publish', queue: 'q', messages: [{ body: 'a' }, { body: 'b' }] })
  const sub = await ok(c, { op: 'subscribe', queue: 'q' })
  const pushed = await c.waitDeliveries(2)
  t.same(pushed.map((d) => [d.sub, d.body]), [[sub.sub, 'a'], [sub.sub, 'b']])
})

t.test('a nack or timeout of a pushed message frees its prefetch slot and redelivers it', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'q', visibilityTimeout: 10 })
  await ok(c, { op: 'subscribe', queue: 'q', prefetch: 1 })
  await ok(c, { op: 'publish', queue: 'q', messages: [{ body: 'a' }, { body: 'b' }] })
  await ok(c, { op: 'ping' })
  t.same(c.deliveries.map((d) => d.body), ['a'])
  await ok(c, { op: 'nack', receipt: c.deliveries[0]?.receipt })
  t.same(c.deliveries.map((d) => [d.body, d.receives]), [['a', 1], ['a', 2]], 'the nacked one comes first again')
  f.clock.advance(10_000)
  await ok(c, { op: 'ping' })
  t.same(c.deliveries.map((d) => [d.body, d.receives]), [['a', 1], ['a', 2], ['a', 3]], 'redelivered after the timeout')
})

t.test('subscribers share a queue round robin', async (t) => {
  const f = await fixture(t)
  const one = await f.connect()
  const two = await f.connect()
  await ok(one, { op: 'subscribe', queue: 'q', prefetch: 10 })
  await ok(two, { op: 'subscribe', queue: 'q', prefetch: 10 })
  await ok(one, { op: 'publish', queue: 'q', messages: [1, 2, 3, 4].map((body) => ({ body })) })
  await Promise.all([one.waitDeliveries(2), two.waitDeliveries(2)])
  t.same([...one.deliveries, ...two.deliveries].map((d) => d.body).sort(), [1, 2, 3, 4])
  t.equal(one.deliveries.length, 2)
})

t.test('unsubscribe stops the pushes; what was pushed stays in flight until acked', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  const { sub } = await ok(c, { op: 'subscribe', queue: 'q', prefetch: 1 })
  await ok(c, { op: 'publish', queue: 'q', body: 'a' })
  await c.waitDeliveries(1)
  t.same(await c.request({ op: 'unsubscribe', id: 'u', sub }), { id: 'u', ok: true })
  await ok(c, { op: 'publish', queue: 'q', body: 'b' })
  t.same(await c.request({ op: 'ack', id: 'a', receipt: c.deliveries[0]?.receipt }), { id: 'a', ok: true, acked: 1 })
  await ok(c, { op: 'ping' })
  t.equal(c.deliveries.length, 1, 'nothing pushed after unsubscribe, even with a free slot')
  t.same((await ok(c, { op: 'receive', queue: 'q' })).messages.map((m: Frame) => m.body), ['b'])
  t.equal((await c.request({ op: 'unsubscribe', sub })).error?.code, 'not_found', 'twice')
})

t.test('a subscriber that disconnects gives its unacked messages to the next one', async (t) => {
  const f = await fixture(t)
  const gone = await f.connect()
  const stays = await f.connect()
  await ok(gone, { op: 'subscribe', queue: 'q', prefetch: 5 })
  await ok(gone, { op: 'publish', queue: 'q', messages: [{ body: 1 }, { body: 2 }] })
  await gone.waitDeliveries(2)
  await ok(stays, { op: 'subscribe', queue: 'q', prefetch: 5 })
  await gone.close()
  const got = await stays.waitDeliveries(2)
  t.same(got.map((d) => [d.body, d.receives]), [[1, 2], [2, 2]])
})
