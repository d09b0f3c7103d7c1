import t from 'tap'
import { Broker } from '../../broker/server.js'
import { startBroker, TestClient } from '../helpers/broker.js'
import { Producer, HubqError, InvalidOptionError } from '../../producer/index.js'
import { gatedStore } from './gated-store.js'

const urlOf = (port: number): string => `hubq://127.0.0.1:${port}`

t.test('publish resolves with the mid only after the broker confirmed it', async (t) => {
  const gate = await gatedStore()
  const b = await startBroker({ store: gate.store })
  t.teardown(() => b.stop())
  const producer = await Producer.connect({ url: urlOf(b.port) })
  t.teardown(() => producer.close())
  gate.close()
  let settled = false
  const publishing = producer.publish('jobs', { n: 1 }, { attrs: { kind: 'a' } }).finally(() => (settled = true))
  await gate.whenHeld(1)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(settled, false, 'not resolved while the store holds the confirmation')
  gate.open()
  const mid = await publishing
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const got = await c.request({ op: 'receive', queue: 'jobs' })
  t.equal(got.messages[0].mid, mid)
  t.same(got.messages[0].body, { n: 1 })
  t.same(got.messages[0].attrs, { kind: 'a' })
})

t.test('backpressure: never more than the window unconfirmed, publish waits for room', async (t) => {
  const gate = await gatedStore()
  const b = await startBroker({ store: gate.store })
  t.teardown(() => b.stop())
  const producer = await Producer.connect({ url: urlOf(b.port), window: 5 })
  gate.close()
  const all = Array.from({ length: 40 }, (_, i) => producer.publish('jobs', i))
  await gate.whenHeld(5)
  t.equal(producer.inFlight, 5, 'the producer holds exactly the window')
  let writable = false
  const room = producer.writable().then(() => (writable = true))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(writable, false, 'writable() waits while the window is full')
  gate.open()
  const mids = await Promise.all(all)
  await room
  t.equal(new Set(mids).size, 40)
  t.ok(gate.peak() <= 5, `the broker never held more than 5 (peak ${gate.peak()})`)
  t.equal(producer.inFlight, 0)
  await producer.close()
})

t.test('batching sends the publishes of one turn as one messages frame, mids in order', async (t) => {
  const gate = await gatedStore()
  const b = await startBroker({ store: gate.store })
  t.teardown(() => b.stop())
  const producer = await Producer.connect({ url: urlOf(b.port), batch: true })
  t.teardown(() => producer.close())
  const mids = await Promise.all(Array.from({ length: 10 }, (_, i) => producer.publish('jobs', i)))
  t.same(gate.calls, [10], 'one store publish of 10 messages')
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const got = await c.request({ op: 'receive', queue: 'jobs', max: 10 })
  t.same(got.messages.map((m: { mid: string }) => m.mid), mids)
  t.same(got.messages.map((m: { body: number }) => m.body), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
})

t.test('publish to a topic fans out to the bound queues', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'topic', topic: 'events' })
  await c.request({ op: 'bind', topic: 'events', queue: 'a' })
  await c.request({ op: 'bind', topic: 'events', queue: 'b' })
  const producer = await Producer.connect({ url: urlOf(b.port) })
  t.teardown(() => producer.close())
  const mid = await producer.publishToTopic('events', 'hello')
  t.type(mid, 'string')
  const stats = await c.request({ op: 'stats' })
  const ready = Object.fromEntries(stats.queues.map((q: { queue: string; ready: number }) => [q.queue, q.ready]))
  t.same(ready, { a: 1, b: 1 })
})

t.test('refusals are typed errors carrying the wire code', async (t) => {
  const b = await startBroker({ limits: { maxMessage: 100 } })
  t.teardown(() => b.stop())
  const producer = await Producer.connect({ url: urlOf(b.port) })
  t.teardown(() => producer.close())
  await t.rejects(producer.publish('jobs', 'x'.repeat(200)), { name: 'HubqError', code: 'message_too_large' })
  const refused = await producer.publish({ topic: 'nowhere' }, 1).catch((err: unknown) => err)
  t.ok(refused instanceof HubqError)
  t.equal((refused as HubqError).code, 'not_found', 'the broker refused: unknown topic')
  await t.rejects(producer.publish('bad name!', 1), { code: 'bad_request', message: "queue must be 1 to 80 characters of letters, digits, '-', '_' or '.'." })
  await t.rejects(producer.publish('jobs', 1, { delay: -1 }), { code: 'bad_request', message: 'delay must be a number between 0 and 31536000.' })
})

t.test('options are validated with precise messages', async (t) => {
  await t.rejects(Producer.connect({ window: 0 }), new InvalidOptionError('window must be an integer between 1 and 100000.'))
  await t.rejects(Producer.connect({ url: 'http://x' }), { code: 'bad_request', message: /url must look like hubq:\/\/HOST:PORT/ })
  await t.rejects(Producer.connect({ url: 'sqs://?endpoint=http://127.0.0.1:1' }), { code: 'bad_request', message: /region/ })
  await t.rejects(Producer.connect({ url: 'hubq://127.0.0.1:1' }), { name: 'ConnectionError', code: 'unavailable', message: /cannot connect to hubq:\/\/127.0.0.1:1/ })
})

t.test('reconnects during publishing and loses no confirmed message', async (t) => {
  const gate = await gatedStore()
  const first = new Broker({ store: gate.store })
  const { port } = await first.start(0)
  const statuses: string[] = []
  const producer = await Producer.connect({
    url: urlOf(port),
    window: 20,
    reconnect: { initial: 5, max: 40 },
    onStatus: (s) => statuses.push(s.state),
  })
  const confirmed: string[] = []
  let halfway!: () => void
  const reachedHalf = new Promise<void>((resolve) => (halfway = resolve))
  const total = 300
  const publishing = Promise.all(
    Array.from({ length: total }, (_, i) =>
      producer.publish('jobs', i).then((mid) => {
        confirmed.push(mid)
        if (confirmed.length === 100) halfway()
        return mid
      }),
    ),
  )
  await reachedHalf
  await first.stop()
  const second = new Broker({ store: gate.store })
  await second.start(port)
  t.teardown(() => second.stop())
  const mids = await publishing
  await producer.close()
  t.equal(mids.length, total, 'every publish resolved')
  t.ok(statuses.includes('disconnected') && statuses.includes('reconnected'), `the producer reconnected (${statuses.join(', ')})`)
  const c = await TestClient.connect(port)
  t.teardown(() => c.close())
  const stored = new Set<string>()
  for (;;) {
    const got = await c.request({ op: 'receive', queue: 'jobs', max: 100 })
    if (got.messages.length === 0) break
    for (const m of got.messages) stored.add(m.mid)
  }
  t.ok(stored.size >= total, `the queue holds at least every message (${stored.size})`)
  t.equal(mids.filter((mid) => !stored.has(mid)).length, 0, 'every confirmed mid is in the queue')
})
