// Memory high watermark: publishers are not read while consumers keep draining; the idle
// timeout closes quiet connections but not subscribers.
import t from 'tap'
import { Broker } from '../../broker/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import { TestClient } from '../helpers/broker.js'
import { ManualClock } from '../../shared/clock.js'

t.test('past the memory watermark publishers wait while a consumer drains, then resume', async (t) => {
  let rss = 10
  const broker = new Broker({
    store: new LocalStore({ journal: new MemoryJournal() }),
    memory: { highBytes: 100, read: () => rss, checkEveryMs: 3_600_000 },
  })
  const { port } = await broker.start(0)
  t.teardown(() => broker.stop())
  const consumer = await TestClient.connect(port)
  const publisher = await TestClient.connect(port)
  t.teardown(() => Promise.all([consumer.close(), publisher.close()]))
  t.match(await consumer.request({ op: 'subscribe', queue: 'q', prefetch: 10 }), { ok: true })
  t.match(await publisher.request({ op: 'publish', queue: 'q', body: 1 }), { ok: true })

  rss = 1000
  broker.checkMemory()
  t.equal(broker.underPressure, true)
  publisher.send({ op: 'publish', id: 'second', queue: 'q', body: 2 })
  const [first] = await consumer.waitDeliveries(1)
  t.match(await consumer.request({ op: 'ack', receipt: first?.receipt }), { ok: true, acked: 1 }, 'the consumer is still read')
  t.match(await consumer.request({ op: 'stats', queue: 'q' }), { queues: [{ published: 1 }] }, 'the second publish was not read')

  rss = 10
  broker.checkMemory()
  t.match(await publisher.reply(), { id: 'second', ok: true }, 'reading resumes below the watermark')
  const deliveries = await consumer.waitDeliveries(2)
  t.equal(deliveries[1]?.body, 2)
})

t.test('memory is read every checkEveryMs on the broker\'s clock', async (t) => {
  const clock = new ManualClock()
  let rss = 10
  let reads = 0
  const broker = new Broker({
    store: new LocalStore({ journal: new MemoryJournal(), clock }), clock,
    memory: { highBytes: 100, read: () => (reads++, rss), checkEveryMs: 500 },
  })
  await broker.start(0)
  t.teardown(() => broker.stop())
  rss = 1000
  clock.advance(499)
  t.same([reads, broker.underPressure], [0, false], 'not read before the first period')
  clock.advance(1)
  t.same([reads, broker.underPressure], [1, true], 'read at 500 ms')
  rss = 10
  clock.advance(500)
  t.same([reads, broker.underPressure], [2, false], 'and again 500 ms later')
})

t.test('the idle timeout closes a quiet connection, not a subscriber', async (t) => {
  const clock = new ManualClock()
  const broker = new Broker({ store: new LocalStore({ journal: new MemoryJournal(), clock }), idleTimeoutMs: 200, clock })
  const { port } = await broker.start(0)
  t.teardown(() => broker.stop())
  const quiet = await TestClient.connect(port, 'text')
  const talker = await TestClient.connect(port, 'text')
  const subscriber = await TestClient.connect(port, 'text')
  t.teardown(() => Promise.all([talker.close(), subscriber.close()]))
  t.match(await subscriber.request({ op: 'subscribe', queue: 'q' }), { ok: true })
  t.match(await quiet.request({ op: 'ping' }), { ok: true })
  t.match(await talker.request({ op: 'ping' }), { ok: true })
  clock.advance(150)
  t.match(await talker.request({ op: 'ping', id: 'at 150' }), { id: 'at 150', ok: true })
  clock.advance(50)
  t.match(await quiet.reply(), { ok: false, error: { code: 'limit', message: /no traffic for 200 ms/ } })
  await quiet.closed
  t.match(await subscriber.request({ op: 'ping', id: 1 }), { id: 1, ok: true }, 'the subscriber, just as quiet, is still served')
  t.match(await talker.request({ op: 'ping', id: 'at 200' }), { id: 'at 200', ok: true }, 'silence counts from the last frame read')
  clock.advance(200)
  t.match(await talker.reply(), { ok: false, error: { code: 'limit' } }, 'closed 200 ms after its last frame')
  await talker.closed
  t.equal(subscriber.socket.destroyed, false)
})
