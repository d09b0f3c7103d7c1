// Every op over real TCP, and the envelope: ids echoed, replies in request order (PROTOCOL.md §2, §4).
import t from 'tap'
import { fixture, ok, type Frame } from './fixture.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('hello and ping', async (t) => {
  const f = await fixture(t, { maxBatch: 7 })
  const c = await f.connect()
  const hello = await ok(c, { op: 'hello', id: 'h', name: 'tests' })
  t.match(hello, { id: 'h', ok: true, server: 'hubq', protocol: 1, limits: { maxBatch: 7, maxFrame: 1024 * 1024, maxMessage: 256 * 1024 } })
  t.type(hello.version, 'string')
  t.same(await c.request({ op: 'ping', id: 0 }), { id: 0, ok: true })
  t.same(await c.request({ op: 'ping' }), { ok: true }, 'no id, no id in the reply')
})

t.test('declare creates, re-declare updates the settings', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  t.same(await c.request({ op: 'declare', id: 1, queue: 'jobs', visibilityTimeout: 5 }), { id: 1, ok: true, queue: 'jobs', created: true })
  t.same(await c.request({ op: 'declare', id: 2, queue: 'jobs', visibilityTimeout: 60 }), { id: 2, ok: true, queue: 'jobs', created: false })
  await ok(c, { op: 'publish', queue: 'jobs', body: 1 })
  await ok(c, { op: 'receive', queue: 'jobs' })
  f.clock.advance(59_999)
  t.same((await ok(c, { op: 'receive', queue: 'jobs' })).messages, [], 'the new visibility timeout (60 s) applies')
  f.clock.advance(1)
  t.equal((await ok(c, { op: 'receive', queue: 'jobs' })).messages.length, 1)
  const fifoChange = await c.request({ op: 'declare', id: 3, queue: 'jobs', fifo: true })
  t.equal(fifoChange.error?.code, 'bad_request', 'fifo cannot change on an existing queue')
  const selfDead = await c.request({ op: 'declare', id: 4, queue: 'x', deadLetter: 'x' })
  t.equal(selfDead.error?.code, 'bad_request', 'a queue cannot be its own dead-letter queue')
  const badTimeout = await c.request({ op: 'declare', id: 5, queue: 'x', visibilityTimeout: -1 })
  t.equal(badTimeout.error?.code, 'bad_request')
})

t.test('publish: single and batch, mids are UUID v7 in publish order', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  const one = await ok(c, { op: 'publish', id: 1, queue: 'q', body: { a: 1 }, attrs: { k: 'v' } })
  t.match(one.mid, UUID_V7)
  const batch = await ok(c, { op: 'publish', id: 2, queue: 'q', messages: [{ body: 'b' }, { body: null }, { body: [3] }] })
  t.equal(batch.mids.length, 3)
  for (const mid of batch.mids) t.match(mid, UUID_V7)
  const all = [one.mid, ...batch.mids]
  t.same([...all].sort(), all, 'mids sort in publish order')
  const got = await ok(c, { op: 'receive', queue: 'q', max: 10 })
  t.same(got.messages.map((m: Frame) => m.body), [{ a: 1 }, 'b', null, [3]], 'first deliveries in publish order')
  t.same(got.messages.map((m: Frame) => m.mid), all)
  const first = got.messages[0]
  t.same(Object.keys(first).sort(), ['attrs', 'body', 'mid', 'publishedAt', 'queue', 'receipt', 'receives'])
  t.same(first.attrs, { k: 'v' })
  t.same(got.messages[1].attrs, {}, 'attrs is always an object')
  t.equal(first.receives, 1)
  t.equal(first.queue, 'q')
  t.equal(first.publishedAt, f.clock.now())
  t.type(first.receipt, 'string')
})

t.test('publish needs exactly one of queue and topic', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  t.equal((await c.request({ op: 'publish', queue: 'q', topic: 't', body: 1 })).error?.code, 'bad_request')
  t.equal((await c.request({ op: 'publish', body: 1 })).error?.code, 'bad_request')
})

t.test('publish auto-declares the queue with the defaults', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  t.equal((await c.request({ op: 'stats', queue: 'fresh' })).error?.code, 'not_found')
  await ok(c, { op: 'publish', queue: 'fresh', body: 1 })
  t.same((await ok(c, { op: 'stats', queue: 'fresh' })).queues, [
    { queue: 'fresh', ready: 1, inflight: 0, delayed: 0, published: 1, acked: 0, deadLettered: 0, redelivered: 0 },
  ])
  t.equal((await ok(c, { op: 'declare', queue: 'fresh' })).created, false)
  await ok(c, { op: 'receive', queue: 'fresh' })
  f.clock.advance(29_999)
  t.same((await ok(c, { op: 'receive', queue: 'fresh' })).messages, [], 'default visibility timeout is 30 s')
  f.clock.advance(1)
  t.equal((await ok(c, { op: 'receive', queue: 'fresh' })).messages[0]?.receives, 2)
})

t.test('pipelining: many requests at once, replies in request order', async (t) => {
  const f = await fixture(t)
  for (const mode of ['binary', 'text'] as const) {
    const c = await f.connect(mode)
    const requests: Frame[] = []
    for (let i = 0; i < 60; i++) {
      const kind = i % 6
      if (kind === 0) requests.push({ op: 'publish', id: i, queue: `p-${mode}`, body: i })
      else if (kind === 1) requests.push({ op: 'ping', id: i })
      else if (kind === 2) requests.push({ op: 'receive', id: i, queue: `p-${mode}` })
      else if (kind === 3) requests.push({ op: 'nope', id: i })
      else if (kind === 4) requests.push({ op: 'publish', id: i, queue: `p-${mode}`, messages: [{ body: i }, { body: i + 0.5 }] })
      else requests.push({ op: 'stats', id: i, queue: `p-${mode}` })
    }
    c.socket.write(Buffer.concat(requests.map((r) => Buffer.from(mode === 'text' ? JSON.stringify(r) + '\n' : frameOf(r)))))
    const replies: Frame[] = []
    for (let i = 0; i < requests.length; i++) replies.push(await c.reply())
    t.same(replies.map((r) => r.id), requests.map((r) => r.id), `${mode}: every reply, in request order`)
    // Read your writes: the first receive already sees the publish sent just before it, and the
    // receives take the messages in publish order.
    const received = replies.filter((r, i) => requests[i]?.op === 'receive').map((r) => r.messages[0]?.body)
    t.same(received, [0, 4, 4.5, 6, 10, 10.5, 12, 16, 16.5, 18], `${mode}: receives saw the publishes before them`)
  }
})

t.test('pipelining: fast-path publishes held behind a request keep their own queue and body', async (t) => {
  const f = await fixture(t)
  const c = await f.connect('binary')
  // The stats waits for the first publish (its string id takes the general path) and the
  // publishes after it, in the fast path's shape (id first, a string body), wait behind it.
  const requests: Frame[] = [{ op: 'publish', id: 'p', queue: 'first', body: 'first' }, { op: 'stats', id: 's' }]
  for (let i = 1; i <= 8; i++) requests.push({ id: i, op: 'publish', queue: i % 2 ? 'odd' : 'even', body: `body-${i}` })
  requests.push({ op: 'receive', id: 9, queue: 'odd', max: 10 }, { op: 'receive', id: 10, queue: 'even', max: 10 })
  // One chunk: the publishes are read while the stats before them is still unanswered.
  c.socket.write(Buffer.concat(requests.map(frameOf)))
  const replies: Frame[] = []
  for (let i = 0; i < requests.length; i++) replies.push(await c.reply())
  t.same(replies.map((r) => r.id), requests.map((r) => r.id), 'every reply, in request order')
  t.same(replies[10]?.messages.map((m: Frame) => m.body), ['body-1', 'body-3', 'body-5', 'body-7'])
  t.same(replies[11]?.messages.map((m: Frame) => m.body), ['body-2', 'body-4', 'body-6', 'body-8'])
})

function frameOf(request: Frame): Buffer {
  const body = Buffer.from(JSON.stringify(request))
  const header = Buffer.alloc(4)
  header.writeUInt32BE(body.length, 0)
  return Buffer.concat([header, body])
}

t.test('ack: single, batch counts only known receipts', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'publish', queue: 'q', messages: [{ body: 1 }, { body: 2 }, { body: 3 }] })
  const [a, b, d] = (await ok(c, { op: 'receive', queue: 'q', max: 3 })).messages as Frame[]
  t.same(await c.request({ op: 'ack', id: 1, receipt: a?.receipt }), { id: 1, ok: true, acked: 1 })
  t.same(await c.request({ op: 'ack', id: 2, receipts: [b?.receipt, 'unknown', d?.receipt, a?.receipt] }), { id: 2, ok: true, acked: 2 })
  t.equal((await c.request({ op: 'ack', id: 3, receipt: a?.receipt })).error?.code, 'unknown_receipt', 'twice is unknown')
  t.match((await ok(c, { op: 'stats', queue: 'q' })).queues, [{ ready: 0, inflight: 0, acked: 3 }])
})

t.test('purge and drop', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'publish', queue: 'q', messages: [{ body: 1 }, { body: 2 }, { body: 3, delay: 60 }] })
  const inflight = (await ok(c, { op: 'receive', queue: 'q' })).messages[0]
  t.same(await c.request({ op: 'purge', id: 1, queue: 'q' }), { id: 1, ok: true, purged: 3 }, 'ready, in flight and delayed')
  t.equal((await c.request({ op: 'ack', receipt: inflight.receipt })).error?.code, 'unknown_receipt', 'purged receipts are gone')
  t.match((await ok(c, { op: 'stats', queue: 'q' })).queues, [{ ready: 0, inflight: 0, delayed: 0 }])
  f.clock.advance(60_000)
  t.same((await ok(c, { op: 'receive', queue: 'q' })).messages, [], 'the delayed one does not come back')
  t.same(await c.request({ op: 'drop', id: 2, queue: 'q' }), { id: 2, ok: true })
  t.equal((await c.request({ op: 'stats', queue: 'q' })).error?.code, 'not_found')
})

t.test('peek looks and changes nothing', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'publish', queue: 'q', messages: [{ body: 'r1' }, { body: 'r2' }, { body: 'i' }, { body: 'd', delay: 30 }] })
  const ready = await ok(c, { op: 'peek', queue: 'q', max: 2 })
  t.same(ready.messages.map((m: Frame) => m.body), ['r1', 'r2'])
  t.notOk('receipt' in ready.messages[0], 'no receipt in a peek')
  t.equal(ready.messages[0].receives, 0)
  const taken = await ok(c, { op: 'receive', queue: 'q' })
  t.equal(taken.messages[0].body, 'r1', 'peek did not take it')
  t.equal(taken.messages[0].receives, 1)
  t.same((await ok(c, { op: 'peek', queue: 'q', state: 'inflight' })).messages.map((m: Frame) => m.body), ['r1'])
  t.same((await ok(c, { op: 'peek', queue: 'q', state: 'delayed' })).messages.map((m: Frame) => m.body), ['d'])
  t.same((await ok(c, { op: 'peek', queue: 'q' })).messages.map((m: Frame) => m.body), ['r2', 'i'], 'default max 10')
})

t.test('stats: queues, topics, connections, uptime', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await f.connect()
  await ok(c, { op: 'declare', queue: 'a' })
  await ok(c, { op: 'publish', queue: 'b', messages: [{ body: 1 }, { body: 2 }, { body: 3, delay: 5 }] })
  await ok(c, { op: 'receive', queue: 'b' })
  await ok(c, { op: 'topic', topic: 'news' })
  await ok(c, { op: 'bind', topic: 'news', queue: 'a', filter: { kind: ['x'] } })
  const stats = await ok(c, { op: 'stats', id: 's' })
  t.same(stats.queues, [
    { queue: 'a', ready: 0, inflight: 0, delayed: 0, published: 0, acked: 0, deadLettered: 0, redelivered: 0 },
    { queue: 'b', ready: 1, inflight: 1, delayed: 1, published: 3, acked: 0, deadLettered: 0, redelivered: 0 },
  ])
  t.same(stats.topics, [{ topic: 'news', bindings: [{ queue: 'a', filter: { kind: ['x'] } }] }])
  t.equal(stats.connections, 2)
  t.type(stats.uptime, 'number')
})
