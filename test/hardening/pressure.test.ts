// Memory high watermark: publishers are not read while consumers keep draining; the idle
// timeout closes quiet connections but not subscribers.
import t from 'tap'
import { Broker } from '../../broker/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import { TestClient } from '../helpers/broker.js'

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

t.test('the idle timeout closes a quiet connection, not a subscriber', async (t) => {
  const broker = new Broker({ store: new LocalStore({ journal: new MemoryJournal() }), idleTimeoutMs: 200 })
  const { port } = await broker.start(0)
  t.teardown(() => broker.stop())
  const quiet = await TestClient.connect(port, 'text')
  const subscriber = await TestClient.connect(port, 'text')
  t.teardown(() => subscriber.close())
  t.match(await subscriber.request({ op: 'subscribe', queue: 'q' }), { ok: true })
  t.match(await quiet.request({ op: 'ping' }), { ok: true })
  t.match(await quiet.reply(), { ok: false, error: { code: 'limit', message: /no traffic for 200 ms/ } })
  await quiet.closed
  t.match(await subscriber.request({ op: 'ping', id: 1 }), { id: 1, ok: true }, 'the subscriber, just as quiet, is still served')
})
