// Every error code the broker can produce today, over real TCP (PROTOCOL.md §5 "Error codes").
// unauthorized / forbidden (auth) and unavailable (a backend that can go down) come with later
// work; internal has no honest trigger from outside.
import t, { type Test } from 'tap'
import net from 'node:net'
import { encodeFrame } from '../../shared/protocol/codec.js'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'
import { WatchedClock } from '../helpers/clock.js'
import { REFUSAL_WAIT_MS } from '../../broker/server.js'

function binaryFrame(text: string): Buffer {
  const body = Buffer.from(text, 'utf8')
  const header = Buffer.alloc(4)
  header.writeUInt32BE(body.length, 0)
  return Buffer.concat([header, body])
}

function errorOf(t: Test, reply: Frame): { id: unknown; code: string } {
  t.equal(reply.ok, false, 'an error reply has ok: false')
  t.type(reply.error?.message, 'string', 'and a human message')
  return { id: reply.id, code: reply.error?.code }
}

t.test('errors that keep the connection open', async (t) => {
  const b = await startBroker({ limits: { maxMessage: 100, maxBatch: 5 } })
  t.teardown(() => b.stop())

  for (const mode of ['text', 'binary'] as const) {
    t.test(`${mode} mode`, async (t) => {
      const c = await TestClient.connect(b.port, mode)
      t.teardown(() => c.close())
      const raw = (text: string): Promise<Frame> => {
        c.socket.write(mode === 'text' ? text + '\n' : binaryFrame(text))
        return c.reply()
      }
      t.same(errorOf(t, await raw('{"op": "ping", ')), { id: undefined, code: 'bad_json' }, 'bad_json')
      t.same(errorOf(t, await raw('[1,2]')), { id: undefined, code: 'bad_request' }, 'not an object')
      t.same(errorOf(t, await raw('{"id":1}')), { id: 1, code: 'bad_request' }, 'no op')
      t.same(errorOf(t, await c.request({ op: 'fly', id: 2 })), { id: 2, code: 'unknown_op' })
      t.same(errorOf(t, await c.request({ op: 'publish', id: 3, body: 1 })), { id: 3, code: 'bad_request' }, 'no queue')
      t.same(errorOf(t, await c.request({ op: 'publish', id: 4, queue: 'bad name', body: 1 })), { id: 4, code: 'bad_request' })
      t.same(errorOf(t, await c.request({ op: 'receive', id: 5, queue: 'q', wait: 21 })), { id: 5, code: 'bad_request' })
      t.same(errorOf(t, await c.request({ op: 'publish', id: 6, queue: 'q', body: 'x'.repeat(200) })), { id: 6, code: 'message_too_large' })
      const batch = { op: 'publish', id: 7, queue: 'q', messages: [{ body: 1 }, { body: 'x'.repeat(200) }] }
      t.same(errorOf(t, await c.request(batch)), { id: 7, code: 'message_too_large' }, 'one message of a batch')
      const tooMany = { op: 'publish', id: 8, queue: 'q', messages: Array.from({ length: 6 }, (_, i) => ({ body: i })) }
      t.same(errorOf(t, await c.request(tooMany)), { id: 8, code: 'limit' }, 'more messages than max-batch')
      t.same(errorOf(t, await c.request({ op: 'receive', id: 9, queue: 'q', max: 6 })), { id: 9, code: 'limit' }, 'receive max over max-batch')
      t.same(errorOf(t, await c.request({ op: 'ack', id: 10, receipt: 'nope' })), { id: 10, code: 'unknown_receipt' })
      t.same(errorOf(t, await c.request({ op: 'nack', id: 11, receipt: 'nope' })), { id: 11, code: 'unknown_receipt' })
      t.same(errorOf(t, await c.request({ op: 'touch', id: 12, receipt: 'nope', timeout: 5 })), { id: 12, code: 'unknown_receipt' })
      t.same(await c.request({ op: 'ping', id: 13 }), { id: 13, ok: true }, 'the connection still works')
      // Nothing was published by the failed batch.
      t.same(await c.request({ op: 'receive', id: 14, queue: 'q' }), { id: 14, ok: true, messages: [] })
    })
  }

  t.test('not_found', async (t) => {
    const c = await TestClient.connect(b.port)
    t.teardown(() => c.close())
    const cases: Frame[] = [
      { op: 'purge', queue: 'missing' },
      { op: 'drop', queue: 'missing' },
      { op: 'peek', queue: 'missing' },
      { op: 'redrive', queue: 'missing' },
      { op: 'stats', queue: 'missing' },
      { op: 'publish', topic: 'missing', body: 1 },
      { op: 'bind', topic: 'missing', queue: 'q' },
      { op: 'unbind', topic: 'missing', queue: 'q' },
      { op: 'unsubscribe', sub: 's999' },
    ]
    for (const [i, request] of cases.entries()) {
      t.same(errorOf(t, await c.request({ ...request, id: i })), { id: i, code: 'not_found' }, request.op)
    }
    t.same(await c.request({ op: 'topic', id: 'tp', topic: 'news' }), { id: 'tp', ok: true, topic: 'news', created: true })
    t.same(errorOf(t, await c.request({ op: 'unbind', id: 'ub', topic: 'news', queue: 'q' })), { id: 'ub', code: 'not_found' }, 'not bound')
  })

  t.test('a zero-length binary frame is a bad request', async (t) => {
    const c = await TestClient.connect(b.port)
    t.teardown(() => c.close())
    c.socket.write(Buffer.alloc(4))
    t.same(errorOf(t, await c.reply()), { id: undefined, code: 'bad_request' })
    t.same(await c.request({ op: 'ping', id: 1 }), { id: 1, ok: true })
  })
})

t.test('frame_too_large closes that connection only', async (t) => {
  const b = await startBroker({ limits: { maxFrame: 1024 } })
  t.teardown(() => b.stop())
  const other = await TestClient.connect(b.port, 'text')
  t.teardown(() => other.close())

  for (const mode of ['text', 'binary'] as const) {
    const c = await TestClient.connect(b.port, mode)
    t.same(await c.request({ op: 'ping', id: 1 }), { id: 1, ok: true })
    c.send({ op: 'publish', id: 2, queue: 'q', body: 'x'.repeat(2000) })
    t.same(errorOf(t, await c.reply()), { id: undefined, code: 'frame_too_large' }, mode)
    await c.closed
    t.pass(`${mode}: the broker closed the connection`)
  }

  // A binary header alone that declares too much is refused without sending the bytes.
  const c = await TestClient.connect(b.port, 'binary')
  const header = Buffer.alloc(4)
  header.writeUInt32BE(16 * 1024 * 1024 - 1, 0)
  c.socket.write(header)
  t.same(errorOf(t, await c.reply()), { id: undefined, code: 'frame_too_large' }, 'header only')
  await c.closed

  t.same(await other.request({ op: 'ping', id: 'still' }), { id: 'still', ok: true }, 'another connection keeps working')
})

t.test('a refused client that speaks first is refused in its own frame mode', async (t) => {
  const b = await startBroker({ limits: { maxConnections: 1 } })
  t.teardown(() => b.stop())
  const first = await TestClient.connect(b.port, 'text')
  t.teardown(() => first.close())
  t.same(await first.request({ op: 'ping', id: 1 }), { id: 1, ok: true })
  for (const mode of ['binary', 'text'] as const) {
    // A raw socket: the bytes as sent, not as a mode-detecting decoder would take them.
    const socket = net.connect({ port: b.port, host: '127.0.0.1' })
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(encodeFrame(mode, JSON.stringify({ op: 'ping', id: 2 })))
    await closed
    const bytes = Buffer.concat(chunks)
    const json = mode === 'binary' ? bytes.subarray(4).toString('utf8') : bytes.toString('utf8')
    if (mode === 'binary') t.equal(bytes.readUInt32BE(0), bytes.length - 4, 'binary: one length-prefixed frame')
    else t.equal(bytes.indexOf(0x0a), bytes.length - 1, 'text: one line')
    t.match(JSON.parse(json), { ok: false, error: { code: 'limit' } }, `${mode}: limit`)
  }
})

t.test('max-connections refuses the next connection with limit', async (t) => {
  const clock = new WatchedClock()
  const b = await startBroker({ limits: { maxConnections: 1 }, clock })
  t.teardown(() => b.stop())
  const first = await TestClient.connect(b.port, 'text')
  t.same(await first.request({ op: 'ping', id: 1 }), { id: 1, ok: true })
  // A refused client that says nothing is refused as text once it has had time to speak first.
  const waiting = clock.timerSet(REFUSAL_WAIT_MS)
  const second = await TestClient.connect(b.port, 'text')
  await waiting
  clock.advance(REFUSAL_WAIT_MS)
  t.same(errorOf(t, await second.reply()), { id: undefined, code: 'limit' })
  await second.closed
  t.pass('the refused connection is closed')
  t.same(await first.request({ op: 'ping', id: 2 }), { id: 2, ok: true }, 'the first one is untouched')
  await first.close()
  // The slot frees once the broker has seen the close; each try waits on a reply, not a timer.
  for (let attempt = 1; ; attempt++) {
    const next = await TestClient.connect(b.port, 'text')
    next.send({ op: 'ping', id: 3 })
    const reply = await next.reply()
    if (reply.ok) {
      t.same(reply, { id: 3, ok: true }, 'a new connection is accepted after the first closed')
      await next.close()
      break
    }
    await next.closed
    if (attempt >= 50) throw new Error('the connection slot never freed')
  }
})
