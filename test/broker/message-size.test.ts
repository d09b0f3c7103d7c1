// max-message counts a message's attrs with its body, as SQS counts a message's size: the body's
// JSON text, plus each attribute's name, its type name ("String") and its value, in UTF-8 bytes.
// The same limit on every way in: text and binary framing (the binary publish fast path too),
// single and batch publishes, to a queue or a topic.
import t from 'tap'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'

const MAX = 1000

/** Attrs that bring a body of `bodyBytes` to exactly `size` bytes: one attribute `k`. */
function attrsFor(size: number, bodyBytes: number): Record<string, string> {
  return { k: 'v'.repeat(size - bodyBytes - 'k'.length - 'String'.length) }
}

t.test('attrs count toward max-message, in both framings, single and batch', async (t) => {
  const b = await startBroker({ limits: { maxMessage: MAX } })
  t.teardown(() => b.stop())
  for (const mode of ['binary', 'text'] as const) {
    const c = await TestClient.connect(b.port, mode)
    t.teardown(() => c.close())
    const q = `q-${mode}`
    // '"x"' is 3 bytes.
    const fits = await c.request({ id: 1, op: 'publish', queue: q, body: 'x', attrs: attrsFor(MAX, 3) })
    t.match(fits, { id: 1, ok: true, mid: String }, `${mode}: body and attrs of exactly max-message fit`)
    const over = await c.request({ id: 2, op: 'publish', queue: q, body: 'x', attrs: attrsFor(MAX + 1, 3) })
    t.same(over, {
      id: 2, ok: false,
      error: { code: 'message_too_large', message: `body and attrs are ${MAX + 1} bytes, larger than max-message (${MAX} bytes)` },
    }, `${mode}: one byte more is refused`)
    const multi = await c.request({ id: 3, op: 'publish', queue: q, body: 'x', attrs: { a: 'v'.repeat(490), bb: 'w'.repeat(495) } })
    t.equal(multi.error?.message, `body and attrs are 1003 bytes, larger than max-message (${MAX} bytes)`,
      `${mode}: every attribute counts, name and type included: 3 + (1 + 6 + 490) + (2 + 6 + 495)`)
    const batch = await c.request({
      id: 4, op: 'publish', queue: q, messages: [{ body: 'fine' }, { body: 'x', attrs: attrsFor(MAX + 1, 3) }],
    })
    t.same(batch.error, {
      code: 'message_too_large', message: `messages[1].body and attrs are ${MAX + 1} bytes, larger than max-message (${MAX} bytes)`,
    }, `${mode}: one entry over the limit refuses the batch`)
    const stats = await c.request({ op: 'stats', queue: q })
    t.equal(stats.queues[0].published, 1, `${mode}: only the message that fits was published`)
  }
})

t.test('a small body with large attrs is refused under the default limits', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const reply = await c.request({ id: 1, op: 'publish', queue: 'q', body: 'ab', attrs: { big: 'a'.repeat(950_000) } })
  t.equal(reply.error?.code, 'message_too_large', 'a 4-byte body with 950 KB of attrs')
  t.same((await c.request({ op: 'receive', queue: 'q' })).messages, [], 'nothing was stored')
})

t.test('topic publishes and the binary fast path keep the same limit', async (t) => {
  const b = await startBroker({ limits: { maxMessage: MAX } })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port, 'binary')
  t.teardown(() => c.close())
  await c.request({ op: 'topic', topic: 't' })
  await c.request({ op: 'bind', topic: 't', queue: 'bound' })
  const over = await c.request({ id: 1, op: 'publish', topic: 't', body: 'x', attrs: attrsFor(MAX + 1, 3) })
  t.equal(over.error?.code, 'message_too_large', 'to a topic')
  // The fast path takes a frame of exactly this shape: a plain string body, no attrs.
  const fast = await c.request({ op: 'publish', queue: 'fast', body: 'y'.repeat(MAX - 2) })
  t.match(fast, { ok: true, mid: String }, 'a body of exactly max-message fits')
  const fastOver = await c.request({ op: 'publish', queue: 'fast', body: 'y'.repeat(MAX - 1) })
  t.same(fastOver.error, { code: 'message_too_large', message: `body is larger than max-message (${MAX} bytes)` }, 'one byte more does not')
  const got = await c.request({ op: 'receive', queue: 'fast', max: 10 })
  t.same(got.messages.map((m: Frame) => (m.body as string).length), [MAX - 2])
})
