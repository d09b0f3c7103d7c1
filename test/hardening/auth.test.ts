// Authentication over real TCP (PROTOCOL.md §7): hello tokens, what is allowed before hello,
// the pre-auth frame cap and deadline, forbidden ops and names, the libraries' token, the log.
import t from 'tap'
import { once } from 'node:events'
import { TestClient } from '../helpers/broker.js'
import { Producer } from '../../producer/index.js'
import { TokenTable } from '../../broker/auth/tokens.js'
import { ALL_POWERFUL } from '../../broker/auth/principal.js'
import { parseAuthFile } from '../../broker/auth/file.js'
import { authFrom, recordingLogger, startHardened } from './helpers.js'
import { WatchedClock } from '../helpers/clock.js'
import { PRE_AUTH_MAX_FRAME } from '../../broker/auth/settings.js'

const ADMIN = 'admin-secret-token-1'
const WORKER = 'worker-secret-token-2'
const FILE = {
  tokens: [
    { name: 'ops', token: ADMIN, admin: ['*'], publish: ['*'], consume: ['*'] },
    { name: 'worker', token: WORKER, ops: ['hello', 'ping', 'publish', 'receive', 'subscribe', 'ack', 'nack', 'touch'],
      publish: ['jobs.*'], consume: ['jobs.*'], deny: { publish: ['jobs.audit'] } },
  ],
}

t.test('before hello only hello and ping; a wrong or missing token is unauthorized', async (t) => {
  const recorded = recordingLogger()
  const b = await startHardened({ auth: authFrom(FILE), log: recorded.log })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.match(await c.request({ op: 'ping', id: 1 }), { id: 1, ok: true })
  t.match(await c.request({ op: 'publish', id: 2, queue: 'jobs.a', body: 1 }), { id: 2, ok: false, error: { code: 'unauthorized' } })
  t.match(await c.request({ op: 'stats', id: 3 }), { id: 3, ok: false, error: { code: 'unauthorized' } })
  t.match(await c.request({ op: 'hello', id: 4 }), { id: 4, ok: false, error: { code: 'unauthorized' } })
  t.match(await c.request({ op: 'hello', id: 5, token: 'not-the-token' }), { id: 5, ok: false, error: { code: 'unauthorized', message: 'wrong token' } })
  t.match(await c.request({ op: 'hello', id: 6, token: 42 }), { id: 6, ok: false, error: { code: 'bad_request' } })
  t.match(await c.request({ op: 'nope', id: 7 }), { id: 7, ok: false, error: { code: 'unknown_op' } })
  t.match(await c.request({ op: 'hello', id: 8, token: WORKER, name: 'w1' }), { id: 8, ok: true, server: 'hubq' })
  t.match(await c.request({ op: 'publish', id: 9, queue: 'jobs.a', body: 1 }), { id: 9, ok: true })
  // A later hello without a token keeps the identity; a wrong one does not take it away either.
  t.match(await c.request({ op: 'hello', id: 10 }), { id: 10, ok: true })
  t.match(await c.request({ op: 'hello', id: 11, token: 'wrong-again' }), { id: 11, ok: false, error: { code: 'unauthorized' } })
  t.match(await c.request({ op: 'publish', id: 12, queue: 'jobs.a', body: 2 }), { id: 12, ok: true })
  const log = recorded.text()
  t.notMatch(log, ADMIN)
  t.notMatch(log, WORKER)
  t.notMatch(log, 'not-the-token')
  t.match(log, /"principal":"worker"/)
})

t.test('forbidden: an op outside the list, a name outside the patterns, a denied name', async (t) => {
  const b = await startHardened({ auth: authFrom(FILE) })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'hello', token: WORKER })
  t.match(await c.request({ op: 'declare', id: 1, queue: 'jobs.a' }), { id: 1, error: { code: 'forbidden' } })
  t.match(await c.request({ op: 'publish', id: 2, queue: 'other', body: 1 }), { id: 2, error: { code: 'forbidden' } })
  t.match(await c.request({ op: 'publish', id: 3, queue: 'jobs.audit', body: 1 }), { id: 3, error: { code: 'forbidden' } })
  t.match(await c.request({ op: 'receive', id: 4, queue: 'jobs.audit' }), { id: 4, ok: true, messages: [] })
  t.match(await c.request({ op: 'stats', id: 5 }), { id: 5, error: { code: 'forbidden' } })
  t.match(await c.request({ op: 'publish', id: 6, queue: 'jobs.b', body: 'x' }), { id: 6, ok: true })
  const got = await c.request({ op: 'receive', id: 7, queue: 'jobs.b' })
  t.match(await c.request({ op: 'ack', id: 8, receipt: got.messages[0].receipt }), { id: 8, ok: true, acked: 1 })
  // The forbidden publishes left nothing behind.
  const admin = await TestClient.connect(b.port)
  t.teardown(() => admin.close())
  await admin.request({ op: 'hello', token: ADMIN })
  const stats = await admin.request({ op: 'stats', id: 9 })
  t.same(stats.queues.map((q: { queue: string }) => q.queue).sort(), ['jobs.audit', 'jobs.b'])
  t.match(await admin.request({ op: 'drop', id: 10, queue: 'jobs.b' }), { id: 10, ok: true })
})

t.test('frames over 16 KiB are refused before hello, accepted after', async (t) => {
  const b = await startHardened({ auth: authFrom(FILE) })
  t.teardown(() => b.stop())
  const big = { op: 'publish', id: 1, queue: 'jobs.big', body: 'x'.repeat(20_000) }
  const early = await TestClient.connect(b.port)
  early.send(big)
  t.match(await early.reply(), { ok: false, error: { code: 'frame_too_large' } })
  await early.closed
  const late = await TestClient.connect(b.port)
  t.teardown(() => late.close())
  t.match(await late.request({ op: 'hello', token: WORKER }), { ok: true })
  t.match(await late.request(big), { id: 1, ok: true })
})

t.test('the frame_too_large before hello names the 16 KiB cap in force, not max-frame', async (t) => {
  const brokers = {
    '--auth': await startHardened({ auth: authFrom(FILE) }),
    '--token': await startHardened({ auth: { tokens: TokenTable.single('the-only-token-123', ALL_POWERFUL), helloTimeoutMs: 10_000, preAuthMaxFrame: PRE_AUTH_MAX_FRAME } }),
  }
  for (const [flag, b] of Object.entries(brokers)) {
    t.teardown(() => b.stop())
    for (const mode of ['text', 'binary'] as const) {
      const c = await TestClient.connect(b.port, mode)
      c.send({ op: 'publish', id: 1, queue: 'jobs.big', body: 'x'.repeat(17 * 1024) })
      const reply = await c.reply()
      t.match(reply, { ok: false, error: { code: 'frame_too_large', message: /16384 bytes/ } }, `${flag}, ${mode}: names the cap before hello`)
      t.notMatch(reply.error.message, /1048576/, `${flag}, ${mode}: not max-frame, which is not in force yet`)
      await c.closed
    }
  }
})

t.test('a connection without a valid hello by the deadline is closed with unauthorized', async (t) => {
  const clock = new WatchedClock()
  const b = await startHardened({ auth: authFrom(FILE, 150), clock })
  t.teardown(() => b.stop())
  const armed = clock.timerSet(150)
  const idle = await TestClient.connect(b.port, 'text')
  await armed
  clock.advance(149)
  t.same(await idle.request({ op: 'ping', id: 'early' }), { id: 'early', ok: true }, 'still open 1 ms before the deadline')
  clock.advance(1)
  t.match(await idle.reply(), { ok: false, error: { code: 'unauthorized', message: /no hello with a valid token within 150 ms/ } })
  await idle.closed
  const good = await TestClient.connect(b.port)
  t.teardown(() => good.close())
  await good.request({ op: 'hello', token: WORKER })
  // Outlives the deadline: a ping after three deadlines still answers.
  clock.advance(450)
  t.match(await good.request({ op: 'ping', id: 'alive' }), { id: 'alive', ok: true })
  t.equal(good.socket.destroyed, false)
})

t.test('--token: one all-powerful token; the libraries send it from the URL', async (t) => {
  const token = 'the-only-token-123'
  const b = await startHardened({ auth: { tokens: TokenTable.single(token, ALL_POWERFUL), helloTimeoutMs: 10_000, preAuthMaxFrame: 16_384 } })
  t.teardown(() => b.stop())
  const producer = await Producer.connect({ url: `hubq://${token}@127.0.0.1:${b.port}` })
  t.teardown(() => producer.close())
  t.match(await producer.publish('anything', { n: 1 }), /^[0-9a-f-]{36}$/)
  const viaOption = await Producer.connect({ url: `hubq://127.0.0.1:${b.port}`, token })
  t.teardown(() => viaOption.close())
  t.match(await viaOption.publish('anything', { n: 2 }), /^[0-9a-f-]{36}$/)
  await t.rejects(Producer.connect({ url: `hubq://wrong-token-0@127.0.0.1:${b.port}`, reconnect: { attempts: 0 } }), { code: 'unauthorized' })
  await t.rejects(Producer.connect({ url: `hubq://127.0.0.1:${b.port}`, reconnect: { attempts: 0 } }), { code: 'unauthorized' })
})

t.test('auth files are checked strictly, and their errors never quote a token', async (t) => {
  const bad: [unknown, RegExp][] = [
    [{}, /non-empty "tokens" array/],
    [{ tokens: [{ token: 'short' }] }, /8 to 4096 characters/],
    [{ tokens: [{ token: 'long-enough-1', sha256: 'ab' }] }, /exactly one of "token" and "sha256"/],
    [{ tokens: [{ sha256: 'xyz' }] }, /64 hex digits/],
    [{ tokens: [{ token: 'long-enough-1', ops: ['publsh'] }] }, /ops must be an array of op names/],
    [{ tokens: [{ token: 'long-enough-1', publish: ['jobs/*'] }] }, /publish must be an array of patterns/],
    [{ tokens: [{ token: 'long-enough-1', deny: { admni: ['*'] } }] }, /unknown right "admni"/],
    [{ tokens: [{ token: 'long-enough-1', pubish: ['*'] }] }, /unknown key "pubish"/],
    [{ tokens: [{ token: 'long-enough-1' }, { token: 'long-enough-1' }] }, /repeats the token/],
  ]
  for (const [file, message] of bad) {
    t.throws(() => parseAuthFile(JSON.stringify(file)), { name: 'AuthFileError', message }, JSON.stringify(file))
    try {
      parseAuthFile(JSON.stringify(file))
    } catch (err) {
      t.notMatch((err as Error).message, 'long-enough-1')
    }
  }
  t.throws(() => parseAuthFile('{"tokens": [{"token": "secret-in-broken-json"'), { message: 'auth file is not valid JSON' })
  // A sha256 entry accepts the token whose digest it holds.
  const digest = 'a1b4e4c5e5f5b9a0c0a8d0f1d4a7e38a4a3b7c36c3b1f0b8a2e2bd0d7b5f1f1a'
  t.equal(parseAuthFile(JSON.stringify({ tokens: [{ sha256: digest }] })).size, 1)
  const { createHash } = await import('node:crypto')
  const hashed = parseAuthFile(JSON.stringify({ tokens: [{ name: 'h', sha256: createHash('sha256').update('hashed-token-9').digest('hex'), consume: ['*'] }] }))
  t.equal(hashed.authenticate('hashed-token-9')?.name, 'h')
  t.equal(hashed.authenticate('hashed-token-8'), undefined)
})

t.test('without auth, hello tokens are ignored and everything is allowed', async (t) => {
  const b = await startHardened()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.match(await c.request({ op: 'stats', id: 1 }), { id: 1, ok: true })
  t.match(await c.request({ op: 'hello', id: 2, token: 'whatever-it-is' }), { id: 2, ok: true })
  const sent = once(c.socket, 'close')
  c.socket.end()
  await sent
})
