import t from 'tap'
import type { Duplex } from 'node:stream'
import { BrokerMetrics } from '../../broker/http/metrics.js'
import { ManualClock } from '../../shared/clock.js'
import { TestClient } from '../helpers/broker.js'
import { parseMetrics, scrape, startObservedBroker } from './helpers.js'

/** Metrics that say when the broker has seen a connection close. */
class ClosingMetrics extends BrokerMetrics {
  private waiters: (() => void)[] = []
  override connectionClosed(stream: Duplex): void {
    super.connectionClosed(stream)
    for (const resolve of this.waiters.splice(0)) resolve()
  }
  nextClose(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }
}

t.test('GET /metrics: Prometheus text with per-queue counts after publishes, acks and a dead letter', async (t) => {
  const b = await startObservedBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())

  const response = await fetch(`${b.url}/metrics`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const before = parseMetrics(await response.text())
  t.equal(before.get('hubq_connections'), 1)
  t.equal(before.get('hubq_connections_opened_total'), 1)
  t.equal(before.get('hubq_store_healthy'), 1)
  t.equal(before.get('hubq_publish_confirm_seconds_count'), 0)
  t.notOk([...before.keys()].some((k) => k.startsWith('hubq_queue_')), 'no queue samples before any queue exists')

  t.equal((await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: 1 }, { body: 2 }, { body: 3 }] })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'jobs', body: 4, delay: 60 })).ok, true)
  const got = await c.request({ op: 'receive', queue: 'jobs', max: 2 })
  t.equal(got.messages.length, 2)
  t.same(await c.request({ op: 'ack', receipt: got.messages[0].receipt }), { ok: true, acked: 1 })

  t.equal((await c.request({ op: 'declare', queue: 'fragile', maxReceives: 1, deadLetter: 'fragile-dlq' })).ok, true)
  t.equal((await c.request({ op: 'declare', queue: 'fragile-dlq' })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'fragile', body: 'x' })).ok, true)
  const fragile = await c.request({ op: 'receive', queue: 'fragile' })
  t.equal((await c.request({ op: 'nack', receipt: fragile.messages[0].receipt })).ok, true)
  // A nack of one of the two jobs in flight, then its second delivery: one redelivery.
  t.equal((await c.request({ op: 'nack', receipt: got.messages[1].receipt })).ok, true)
  const again = await c.request({ op: 'receive', queue: 'jobs' })
  t.equal(again.messages[0].receives, 2)

  const m = await scrape(b.url)
  t.equal(m.get('hubq_queue_ready_messages{queue="jobs"}'), 1)
  t.equal(m.get('hubq_queue_inflight_messages{queue="jobs"}'), 1)
  t.equal(m.get('hubq_queue_delayed_messages{queue="jobs"}'), 1)
  t.equal(m.get('hubq_queue_published_total{queue="jobs"}'), 4)
  t.equal(m.get('hubq_queue_acked_total{queue="jobs"}'), 1)
  t.equal(m.get('hubq_queue_dead_lettered_total{queue="jobs"}'), 0)
  t.equal(m.get('hubq_queue_redelivered_total{queue="jobs"}'), 1)
  t.equal(m.get('hubq_queue_redelivered_total{queue="fragile"}'), 0)
  t.equal(m.get('hubq_queue_dead_lettered_total{queue="fragile"}'), 1)
  t.equal(m.get('hubq_queue_ready_messages{queue="fragile"}'), 0)
  t.equal(m.get('hubq_queue_ready_messages{queue="fragile-dlq"}'), 1)
  // Three publish requests confirmed (a batch of three counts once).
  t.equal(m.get('hubq_publish_confirm_seconds_count'), 3)
  t.equal(m.get('hubq_publish_confirm_seconds_bucket{le="+Inf"}'), 3)
  t.ok((m.get('hubq_publish_confirm_seconds_sum') ?? -1) >= 0)
  t.ok((m.get('hubq_received_bytes_total') ?? 0) > 100, 'bytes in counted')
  t.ok((m.get('hubq_sent_bytes_total') ?? 0) > 100, 'bytes out counted')
  t.equal(m.get('hubq_fsync_duration_seconds_count'), 0, 'the memory journal never fsyncs')
  t.ok(m.has('process_cpu_user_seconds_total'), 'default process metrics')
  t.ok(m.has('nodejs_heap_size_used_bytes'), 'default node metrics')
  t.ok([...m.keys()].some((k) => k.startsWith('hubq_build_info{version="')), 'build info')
})

t.test('dropped queues leave the scrape; topics report their bindings', async (t) => {
  const b = await startObservedBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'short-lived', body: 1 })
  await c.request({ op: 'topic', topic: 'events' })
  await c.request({ op: 'bind', topic: 'events', queue: 'a' })
  await c.request({ op: 'bind', topic: 'events', queue: 'b' })
  t.equal((await scrape(b.url)).get('hubq_queue_published_total{queue="short-lived"}'), 1)
  t.equal((await c.request({ op: 'drop', queue: 'short-lived' })).ok, true)
  const m = await scrape(b.url)
  t.notOk(m.has('hubq_queue_published_total{queue="short-lived"}'))
  t.equal(m.get('hubq_topic_bindings{topic="events"}'), 2)
})

t.test('bytes stay counted after their connection closes', async (t) => {
  const metrics = new ClosingMetrics()
  const b = await startObservedBroker({ metrics })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  await c.request({ op: 'publish', queue: 'q', body: 'x'.repeat(1000) })
  const open = await scrape(b.url)
  const closed = metrics.nextClose()
  await c.close()
  await closed
  const after = await scrape(b.url)
  t.equal(after.get('hubq_connections'), 0)
  t.equal(after.get('hubq_connections_opened_total'), 1)
  t.ok((open.get('hubq_received_bytes_total') ?? 0) > 1000)
  t.ok((after.get('hubq_received_bytes_total') ?? 0) >= (open.get('hubq_received_bytes_total') ?? Infinity))
  t.ok((after.get('hubq_sent_bytes_total') ?? 0) >= (open.get('hubq_sent_bytes_total') ?? Infinity))
})

t.test('onFsync feeds the fsync histogram (the durable log calls it once per group commit)', async (t) => {
  const b = await startObservedBroker()
  t.teardown(() => b.stop())
  b.metrics.onFsync(0.0003)
  b.metrics.onFsync(0.002)
  const m = await scrape(b.url)
  t.equal(m.get('hubq_fsync_duration_seconds_count'), 2)
  t.equal(m.get('hubq_fsync_duration_seconds_bucket{le="0.0005"}'), 1)
  t.equal(m.get('hubq_fsync_duration_seconds_bucket{le="0.0025"}'), 2)
  t.ok(Math.abs((m.get('hubq_fsync_duration_seconds_sum') ?? 0) - 0.0023) < 1e-9)
})

t.test('two brokers in one process keep separate registries', async (t) => {
  const one = await startObservedBroker()
  t.teardown(() => one.stop())
  const two = await startObservedBroker()
  t.teardown(() => two.stop())
  const c = await TestClient.connect(one.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'only-on-one', body: 1 })
  t.equal((await scrape(one.url)).get('hubq_queue_published_total{queue="only-on-one"}'), 1)
  t.notOk((await scrape(two.url)).has('hubq_queue_published_total{queue="only-on-one"}'))
})

t.test('unknown paths answer 404 and other methods 405', async (t) => {
  const b = await startObservedBroker()
  t.teardown(() => b.stop())
  const missing = await fetch(`${b.url}/nope`)
  t.equal(missing.status, 404)
  t.match(await missing.json(), { endpoints: ['/metrics', '/healthz', '/api/stats', '/'] })
  const post = await fetch(`${b.url}/metrics`, { method: 'POST' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET, HEAD')
  await post.body?.cancel()
})

t.test('GET /metrics: the oldest ready message age and consumers per queue, unacked per subscription', async (t) => {
  const clock = new ManualClock()
  const b = await startObservedBroker({ clock, metrics: new BrokerMetrics({ clock }) })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.equal((await c.request({ op: 'declare', queue: 'idle' })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'jobs', body: 1 })).ok, true)
  clock.advance(30_000)
  t.equal((await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: 2 }, { body: 3 }, { body: 4 }] })).ok, true)
  clock.advance(12_000)

  let m = await scrape(b.url)
  t.equal(m.get('hubq_queue_oldest_ready_age_seconds{queue="jobs"}'), 42, 'age of the first message published')
  t.equal(m.get('hubq_queue_oldest_ready_age_seconds{queue="idle"}'), 0, 'nothing ready: 0')
  t.equal(m.get('hubq_queue_consumers{queue="jobs"}'), 0)

  const sub = await c.request({ op: 'subscribe', queue: 'jobs', prefetch: 2 })
  await c.waitDeliveries(2)
  m = await scrape(b.url)
  t.equal(m.get('hubq_queue_consumers{queue="jobs"}'), 1)
  const unacked = [...m].find(([k]) => k.startsWith(`hubq_subscription_unacked_messages{queue="jobs",subscription="${sub.sub}",`))
  t.equal(unacked?.[1], 2, 'two pushed, none acked')
  t.equal(m.get('hubq_queue_oldest_ready_age_seconds{queue="jobs"}'), 12, 'the two oldest are in flight: the next ready one is 12 s old')
})
