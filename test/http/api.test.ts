// The console's JSON endpoints over plain HTTP (PROTOCOL.md §7.4): what they show, the actions
// they run through the ops' own handlers, and with auth on, the same rules as over TCP.
import t, { type Test } from 'tap'
import { TestClient } from '../helpers/broker.js'
import { authFrom } from '../hardening/helpers.js'
import { startObservedBroker, type ObservedBroker } from './helpers.js'

async function setup(t: Test, auth?: ReturnType<typeof authFrom>): Promise<{ b: ObservedBroker; c: TestClient }> {
  const b = await startObservedBroker({ history: { intervalMs: 1 }, ...(auth ? { auth } : {}) })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  return { b, c }
}

function call(b: ObservedBroker, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] ??= 'application/json'
  return fetch(`${b.url}${path}`, {
    headers,
    ...(options.body !== undefined ? { method: 'POST', body: JSON.stringify(options.body) } : {}),
  })
}

async function json(response: Response | Promise<Response>): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await response
  return { status: r.status, body: await r.json() }
}

t.test('overview, queue, messages and connections show the broker as it is', async (t) => {
  const { b, c } = await setup(t)
  t.equal((await c.request({ op: 'hello', name: 'worker-1' })).ok, true)
  t.equal((await c.request({ op: 'declare', queue: 'jobs.dlq' })).ok, true)
  t.equal((await c.request({ op: 'declare', queue: 'jobs', maxReceives: 2, deadLetter: 'jobs.dlq', visibilityTimeout: 45 })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: { n: 1 }, attrs: { kind: 'a' } }, { body: { n: 2 } }, { body: { n: 3 } }] })).ok, true)
  const sub = await c.request({ op: 'subscribe', queue: 'jobs', prefetch: 1 })

  const overview = await json(call(b, '/api/overview'))
  t.equal(overview.status, 200)
  const jobs = overview.body.queues.find((q: { queue: string }) => q.queue === 'jobs')
  t.match(jobs, { ready: 2, inflight: 1, published: 3, fifo: false, deadLetter: 'jobs.dlq', consumers: 1, deadLetterFor: [] })
  t.type(jobs.oldestReadyAge, 'number')
  t.match(overview.body.queues.find((q: { queue: string }) => q.queue === 'jobs.dlq'), { deadLetterFor: ['jobs'], oldestReadyAge: null })
  t.equal(overview.body.auth, null)

  const queue = await json(call(b, '/api/queues/jobs'))
  t.match(queue.body, { queue: 'jobs', ready: 2, config: { visibilityTimeout: 45, maxReceives: 2, deadLetter: 'jobs.dlq' }, may: { purge: true } })
  t.match(queue.body.consumers, [{ subscription: sub.sub, prefetch: 1, unacked: 1, client: 'worker-1', address: /^127\.0\.0\.1:\d+$/ }])
  t.same(queue.body.history.t.length >= 1, true, 'a chart sample')

  const ready = await json(call(b, '/api/queues/jobs/messages?state=ready&limit=1'))
  t.match(ready.body, { state: 'ready', offset: 0, limit: 1, more: true, messages: [{ body: { n: 2 }, receives: 0 }] })
  t.notOk('receipt' in ready.body.messages[0], 'a peek shows no receipt')
  const second = await json(call(b, '/api/queues/jobs/messages?state=ready&offset=1&limit=1'))
  t.match(second.body, { more: false, messages: [{ body: { n: 3 } }] })
  const inflight = await json(call(b, '/api/queues/jobs/messages?state=inflight'))
  t.match(inflight.body.messages, [{ body: { n: 1 }, attrs: { kind: 'a' }, receives: 1 }])
  t.equal((await call(b, '/api/queues/jobs/messages?state=gone')).status, 400)
  t.equal((await call(b, '/api/queues/jobs/messages?limit=101')).status, 400)
  t.equal((await call(b, '/api/queues/nope')).status, 404)

  const connections = await json(call(b, '/api/connections'))
  t.match(connections.body.connections, [{ client: 'worker-1', address: /^127\.0\.0\.1:\d+$/, subscriptions: [{ id: sub.sub, queue: 'jobs', prefetch: 1, unacked: 1 }] }])
  t.ok(connections.body.connections[0].bytesIn > 0 && connections.body.connections[0].bytesOut > 0, 'bytes counted')
})

t.test('actions run the ops: publish, purge, redrive, drop; only POST with JSON from this origin', async (t) => {
  const { b, c } = await setup(t)
  const published = await json(call(b, '/api/queues/jobs/publish', { body: { body: 'hi', attrs: { k: 'v' } } }))
  t.match(published, { status: 200, body: { mid: /^[0-9a-f-]{36}$/ } })
  t.match(await json(call(b, '/api/queues/jobs/publish', { body: { body: 'x', attrs: { n: 1 } } })), { status: 400, body: { error: { code: 'bad_request', message: 'attrs.n must be a string' } } })
  t.match(await json(call(b, '/api/queues/jobs/purge', { body: {} })), { status: 200, body: { purged: 1 } })

  t.equal((await c.request({ op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'work.dlq' })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'work', body: 1 })).ok, true)
  const got = await c.request({ op: 'receive', queue: 'work' })
  t.equal((await c.request({ op: 'nack', receipt: got.messages[0].receipt })).ok, true)
  t.match(await json(call(b, '/api/queues/work.dlq/redrive', { body: {} })), { status: 200, body: { moved: 1 } })
  t.match(await json(call(b, '/api/queues/work/drop', { body: {} })), { status: 200 })
  t.equal((await call(b, '/api/queues/work')).status, 404)

  t.equal((await call(b, '/api/queues/jobs/purge')).status, 405, 'GET on an action')
  t.equal((await call(b, '/api/queues/jobs/explode', { body: {} })).status, 404)
  t.equal((await call(b, '/api/queues/jobs/purge', { body: {}, headers: { 'content-type': 'text/plain' } })).status, 400, 'a form post is not JSON')
  t.equal((await call(b, '/api/queues/jobs/purge', { body: {}, headers: { origin: 'http://evil.example' } })).status, 403, 'another origin')
  t.equal((await call(b, '/api/queues/jobs/purge', { body: {}, headers: { origin: b.url } })).status, 200, 'the page own origin')
})

t.test('with auth on: a token sees what stats lets it see and acts as the ops let it', async (t) => {
  const auth = authFrom({
    tokens: [
      { name: 'ops', token: 'ops-token-123456', admin: ['*'], publish: ['*'] },
      { name: 'jobs', token: 'jobs-token-123456', admin: ['jobs'] },
      { name: 'viewer', token: 'viewer-token-1234', ops: ['stats', 'peek'], admin: ['*'] },
    ],
  })
  const { b, c } = await setup(t, auth)
  t.equal((await c.request({ op: 'hello', token: 'ops-token-123456' })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'jobs', body: 1 })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'secret', body: 2 })).ok, true)

  const none = await call(b, '/api/overview')
  t.equal(none.status, 401)
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="hubq"')
  t.equal((await call(b, '/api/overview', { token: 'wrong-token-000000' })).status, 401)

  const narrow = await json(call(b, '/api/overview', { token: 'jobs-token-123456' }))
  t.same(narrow.body.queues.map((q: { queue: string }) => q.queue), ['jobs'], 'only the queue it has admin on')
  t.same(narrow.body.auth, { token: 'jobs', admin: false })
  t.match(await json(call(b, '/api/queues/secret', { token: 'jobs-token-123456' })), { status: 403, body: { error: { code: 'forbidden' } } })
  t.equal((await call(b, '/api/queues/secret/messages', { token: 'jobs-token-123456' })).status, 403)
  t.equal((await call(b, '/api/connections', { token: 'jobs-token-123456' })).status, 403, 'connections need admin on every name')
  t.equal((await call(b, '/api/queues/jobs/publish', { token: 'jobs-token-123456', body: { body: 'x' } })).status, 403, 'publish needs the publish right')
  t.match((await json(call(b, '/api/queues/jobs', { token: 'jobs-token-123456' }))).body.may, { publish: false, peek: true, purge: true })

  t.match(await json(call(b, '/api/queues/jobs/purge', { token: 'viewer-token-1234', body: {} })),
    { status: 403, body: { error: { code: 'forbidden', message: 'token viewer may not use purge' } } })
  t.equal((await call(b, '/api/queues/jobs/messages', { token: 'viewer-token-1234' })).status, 200)
  t.equal((await call(b, '/api/connections', { token: 'ops-token-123456' })).status, 200)
  t.match(await json(call(b, '/api/queues/jobs/purge', { token: 'jobs-token-123456', body: {} })), { status: 200, body: { purged: 1 } })
})
