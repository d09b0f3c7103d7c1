import t from 'tap'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import { ManualClock } from '../../shared/clock.js'
import type { LiveStats } from '../../broker/http/live-stats.js'
import { TestClient } from '../helpers/broker.js'
import { scrape, startObservedBroker } from './helpers.js'

/** A local store whose disk a test can "fill": healthy() turns false. */
class FillableStore extends LocalStore {
  full = false
  override healthy(): boolean {
    return !this.full && super.healthy()
  }
}

t.test('GET /healthz: 200 while accepting with a writable store, 503 with the reason once the store cannot write', async (t) => {
  const store = new FillableStore({ journal: new MemoryJournal() })
  const b = await startObservedBroker({ store })
  t.teardown(() => b.stop())

  const ok = await fetch(`${b.url}/healthz`)
  t.equal(ok.status, 200)
  t.match(ok.headers.get('content-type'), /^application\/json/)
  t.same(await ok.json(), { status: 'ok', accepting: true, storeHealthy: true, reasons: [] })

  store.full = true
  const sick = await fetch(`${b.url}/healthz`)
  t.equal(sick.status, 503)
  t.same(await sick.json(), {
    status: 'unavailable', accepting: true, storeHealthy: false,
    reasons: ['store cannot take writes (disk full or backend down)'],
  })
  t.equal((await scrape(b.url)).get('hubq_store_healthy'), 0)

  store.full = false
  t.equal((await fetch(`${b.url}/healthz`)).status, 200, 'healthy again once the store recovers')
})

t.test('GET /healthz: 503 once the broker stops accepting', async (t) => {
  const b = await startObservedBroker()
  t.teardown(() => b.http.close())
  await b.broker.stop()
  const stopped = await fetch(`${b.url}/healthz`)
  t.equal(stopped.status, 503)
  t.match(await stopped.json(), { status: 'unavailable', accepting: false, reasons: [/not accepting connections/] })
})

t.test('GET /healthz: HEAD gives the status without a body', async (t) => {
  const b = await startObservedBroker()
  t.teardown(() => b.stop())
  const head = await fetch(`${b.url}/healthz`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '')
})

t.test('GET /api/stats: counts, topics and the oldest ready message age on the broker clock', async (t) => {
  const clock = new ManualClock()
  const b = await startObservedBroker({ clock })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())

  await c.request({ op: 'publish', queue: 'jobs', body: 'old' })
  clock.advance(2_000)
  await c.request({ op: 'publish', queue: 'jobs', body: 'new' })
  await c.request({ op: 'declare', queue: 'idle' })
  await c.request({ op: 'topic', topic: 'events' })
  await c.request({ op: 'bind', topic: 'events', queue: 'jobs', filter: { kind: ['a'] } })
  clock.advance(3_000)

  const response = await fetch(`${b.url}/api/stats`)
  t.equal(response.status, 200)
  const stats = await response.json() as LiveStats
  t.equal(stats.now, clock.now())
  t.equal(stats.uptime, 5)
  t.equal(stats.connections, 1)
  t.equal(stats.health.status, 'ok')
  t.match(stats.version, /^\d+\.\d+\.\d+/)
  t.same(stats.queues, [
    { queue: 'idle', ready: 0, inflight: 0, delayed: 0, published: 0, acked: 0, deadLettered: 0, redelivered: 0, oldestReadyAge: null },
    { queue: 'jobs', ready: 2, inflight: 0, delayed: 0, published: 2, acked: 0, deadLettered: 0, redelivered: 0, oldestReadyAge: 5 },
  ])
  t.same(stats.topics, [{ topic: 'events', bindings: [{ queue: 'jobs', filter: { kind: ['a'] } }] }])
})

t.test('GET / serves the console as one self-contained HTML document', async (t) => {
  const b = await startObservedBroker()
  t.teardown(() => b.stop())
  const page = await fetch(`${b.url}/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  const html = await page.text()
  t.match(html, /<div id="view">/)
  t.match(html, /api\('api\/overview'\)/)
  t.notMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'no external scripts or styles')
  t.notMatch(html.replaceAll('http://www.w3.org/2000/svg', ''), /https?:\/\//, 'no address elsewhere but the SVG namespace')
  t.match(page.headers.get('content-security-policy'), /default-src 'none'.*connect-src 'self'/, 'and the browser is told to fetch nothing from elsewhere')
})
