// Every configured limit hit and answered with a clear error (PROTOCOL.md §3): max-queues,
// max-depth, max-keys, max-connections, prefetch (max unacked per subscription), and no
// prototype pollution from request JSON.
import t from 'tap'
import { TestClient } from '../helpers/broker.js'
import { checkJsonShape } from '../../shared/protocol/json-shape.js'
import { startHardened } from './helpers.js'

const nested = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

t.test('max-queues: creating one more queue is limit, by declare or by first use; the broker\'s own moves still go through', async (t) => {
  const b = await startHardened({ maxQueues: 2 })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.match(await c.request({ op: 'declare', id: 1, queue: 'a', maxReceives: 1, deadLetter: 'a.dead' }), { ok: true })
  t.match(await c.request({ op: 'declare', id: 2, queue: 'b' }), { ok: true })
  t.match(await c.request({ op: 'declare', id: 3, queue: 'c' }), { id: 3, ok: false, error: { code: 'limit', message: /max-queues 2/ } })
  t.match(await c.request({ op: 'publish', id: 4, queue: 'd', body: 1 }), { id: 4, error: { code: 'limit' } })
  t.match(await c.request({ op: 'receive', id: 5, queue: 'e' }), { id: 5, error: { code: 'limit' } })
  t.match(await c.request({ op: 'subscribe', id: 6, queue: 'f' }), { id: 6, error: { code: 'limit' } })
  t.match(await c.request({ op: 'declare', id: 7, queue: 'a', visibilityTimeout: 5 }), { id: 7, ok: true, created: false })
  t.match(await c.request({ op: 'publish', id: 8, queue: 'a', body: 'poison' }), { id: 8, ok: true })
  const got = await c.request({ op: 'receive', id: 9, queue: 'a' })
  t.match(await c.request({ op: 'nack', id: 10, receipt: got.messages[0].receipt }), { id: 10, ok: true })
  // The dead-letter queue is made over the limit: a message is never lost to max-queues.
  t.match(await c.request({ op: 'peek', id: 11, queue: 'a.dead' }), { id: 11, ok: true, messages: [{ body: 'poison' }] })
  t.equal(b.store.queues.size, 3)
})

t.test('max-depth: a request nested deeper than 32 is limit, with its id, even 100,000 deep', async (t) => {
  const b = await startHardened()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  // The request object is depth 1: the body's 31 arrays reach depth 32, a 32nd goes over.
  t.match(await c.request({ op: 'publish', id: 1, queue: 'q', body: nested(31) }), { id: 1, ok: true })
  t.match(await c.request({ op: 'publish', id: 2, queue: 'q', body: nested(32) }), { id: 2, ok: false, error: { code: 'limit', message: 'JSON nested deeper than max-depth (32)' } })
  const deep = '{"op":"publish","id":3,"queue":"q","body":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'
  const text = await TestClient.connect(b.port, 'text')
  t.teardown(() => text.close())
  text.socket.write(deep + '\n')
  t.match(await text.reply(), { id: 3, ok: false, error: { code: 'limit' } })
  t.match(await text.request({ op: 'ping', id: 4 }), { id: 4, ok: true })
})

t.test('max-keys: an object with more than 1000 keys is limit; --max-depth and --max-keys are configurable', async (t) => {
  const b = await startHardened({ limits: { maxKeys: 100, maxDepth: 4 } })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const keys = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))
  t.match(await c.request({ op: 'publish', id: 1, queue: 'q', body: keys(100) }), { id: 1, ok: true })
  t.match(await c.request({ op: 'publish', id: 2, queue: 'q', body: keys(101) }), { id: 2, error: { code: 'limit', message: 'a JSON object has more than max-keys (100) keys' } })
  t.match(await c.request({ op: 'publish', id: 3, queue: 'q', body: { a: { b: [1] } } }), { id: 3, ok: true })
  t.match(await c.request({ op: 'publish', id: 4, queue: 'q', body: { a: { b: [[1]] } } }), { id: 4, error: { code: 'limit' } })
  t.match(await c.request({ op: 'hello', id: 5 }), { id: 5, ok: true, limits: { maxKeys: 100, maxDepth: 4, maxQueues: 10_000 } })
  // The walk is iterative: a million-deep value is refused without a stack overflow.
  t.equal(checkJsonShape(nested(1_000_000), { maxDepth: 32, maxKeys: 1000 })?.code, 'limit')
})

t.test('max-connections: the connection over the limit gets limit, then is closed', async (t) => {
  const b = await startHardened({ limits: { maxConnections: 1 } })
  t.teardown(() => b.stop())
  const first = await TestClient.connect(b.port)
  t.teardown(() => first.close())
  const second = await TestClient.connect(b.port, 'text')
  t.match(await second.reply(), { ok: false, error: { code: 'limit', message: /max-connections 1/ } })
  await second.closed
  t.match(await first.request({ op: 'ping', id: 1 }), { id: 1, ok: true })
})

t.test('prefetch bounds the unacked deliveries of a subscription (max unacked), 10000 at most', async (t) => {
  const b = await startHardened()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.match(await c.request({ op: 'subscribe', id: 1, queue: 'q', prefetch: 10_001 }), { id: 1, error: { code: 'bad_request', message: /prefetch/ } })
  for (let i = 0; i < 5; i++) await c.request({ op: 'publish', queue: 'q', body: i })
  await c.request({ op: 'subscribe', id: 2, queue: 'q', prefetch: 2 })
  await c.waitDeliveries(2)
  await c.request({ op: 'ping' })
  t.equal(c.deliveries.length, 2)
  await c.request({ op: 'ack', receipt: c.deliveries[0]?.receipt })
  await c.waitDeliveries(3)
  await c.request({ op: 'ping' })
  t.equal(c.deliveries.length, 3)
})

t.test('__proto__ in request JSON stays a key and pollutes nothing', async (t) => {
  const b = await startHardened()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port, 'text')
  t.teardown(() => c.close())
  c.socket.write('{"op":"publish","id":1,"queue":"q","body":{"__proto__":{"polluted":true}},"attrs":{"__proto__":"x"}}\n')
  t.match(await c.reply(), { id: 1, ok: true })
  const got = await c.request({ op: 'receive', id: 2, queue: 'q' })
  t.equal(Object.getPrototypeOf(got.messages[0].body), Object.prototype)
  t.ok(Object.prototype.hasOwnProperty.call(got.messages[0].body, '__proto__'))
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  c.socket.write('{"op":"declare","id":3,"queue":"r","__proto__":{"fifo":true}}\n')
  t.match(await c.reply(), { id: 3, ok: true, created: true })
  c.socket.write('{"op":"publish","id":4,"queue":"r","body":1}\n')
  t.match(await c.reply(), { id: 4, ok: true })
})
