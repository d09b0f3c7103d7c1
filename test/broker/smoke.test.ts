import t from 'tap'
import { startBroker, TestClient } from '../helpers/broker.js'

t.test('publish then receive and ack over real TCP', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const pub = await c.request({ op: 'publish', id: 1, queue: 'jobs', body: { n: 1 } })
  t.equal(pub.ok, true)
  const got = await c.request({ op: 'receive', id: 2, queue: 'jobs' })
  t.equal(got.messages.length, 1)
  t.same(got.messages[0].body, { n: 1 })
  t.equal(got.messages[0].mid, pub.mid)
  const acked = await c.request({ op: 'ack', id: 3, receipt: got.messages[0].receipt })
  t.same(acked, { id: 3, ok: true, acked: 1 })
})
