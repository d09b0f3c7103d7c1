// The publish fast path reads a frame only when the general path would read it the same way:
// whatever it accepts, JSON.parse agrees with (op, id, queue, and the body's JSON text); the rest
// is left to the general path. Then the same through a broker: binary (fast) and text (general)
// publishes store the same bodies and get the same replies and errors.
import t from 'tap'
import fc from 'fast-check'
import { fastPublish } from '../../shared/protocol/fast-publish.js'
import { NAME_PATTERN } from '../../shared/protocol/requests.js'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'

const read = (text: string) => {
  const buf = Buffer.from('xx' + text + 'yy', 'utf8')
  return fastPublish(buf, 2, buf.length - 2)
}

/** What the general path makes of a frame the fast path accepted. */
function general(text: string): { id: unknown; queue: unknown; bodyJson: string } | undefined {
  const obj = JSON.parse(text)
  const keys = Object.keys(obj)
  if (obj.op !== 'publish' || typeof obj.body !== 'string' || !NAME_PATTERN.test(obj.queue)) return undefined
  if (keys.some((k) => !['id', 'op', 'queue', 'body'].includes(k))) return undefined
  return { id: obj.id, queue: obj.queue, bodyJson: JSON.stringify(obj.body) }
}

t.test('the common shapes are read', async (t) => {
  const body = Buffer.alloc(128, 7).toString('base64')
  t.same(read(JSON.stringify({ op: 'publish', queue: 'bench', body })), { id: undefined, queue: 'bench', bodyJson: JSON.stringify(body) })
  t.same(read(JSON.stringify({ id: 42, op: 'publish', queue: 'a.b-c_d', body: 'hello world' })), { id: 42, queue: 'a.b-c_d', bodyJson: '"hello world"' })
  t.same(read('{"op":"publish","queue":"q","body":""}'), { id: undefined, queue: 'q', bodyJson: '""' })
  t.same(read('{"id":0,"op":"publish","queue":"q","body":"x"}'), { id: 0, queue: 'q', bodyJson: '"x"' })
  t.same(read('{"op":"publish","queue":"q","body":"x1","id":17}'), { id: 17, queue: 'q', bodyJson: '"x1"' }, 'an id last, as the client libraries send it')
})

t.test('anything else is left to the general path', async (t) => {
  const frames = [
    '{"op":"publish","queue":"q","body":"a\\"b"}', // an escape
    '{"op":"publish","queue":"q","body":"a\\\\b"}',
    '{"op":"publish","queue":"q","body":"é"}', // not ASCII
    '{"op":"publish","queue":"q","body":"tab\there"}', // a control character (invalid JSON)
    '{"op":"publish","queue":"q","body":{"n":1}}', // not a string
    '{"op":"publish","queue":"q","body":"x","attrs":{"k":"v"}}',
    '{"op":"publish","body":"x","queue":"q"}', // another key order
    '{ "op":"publish","queue":"q","body":"x"}', // whitespace
    '{"op":"publish","queue":"q q","body":"x"}', // not a queue name
    `{"op":"publish","queue":"${'q'.repeat(81)}","body":"x"}`,
    '{"op":"publish","queue":"","body":"x"}',
    '{"id":01,"op":"publish","queue":"q","body":"x"}', // not JSON
    '{"id":-1,"op":"publish","queue":"q","body":"x"}',
    '{"id":"a","op":"publish","queue":"q","body":"x"}',
    '{"id":1234567890123456,"op":"publish","queue":"q","body":"x"}', // 16 digits
    '{"op":"publish","topic":"q","body":"x"}',
    '{"op":"publish","queue":"q","body":"x"}}',
    '{"op":"publish","queue":"q","body":"x"',
    '{"id":1,"op":"publish","queue":"q","body":"x","id":2}', // two ids
    '{"op":"publish","queue":"q","body":"x","id":007}',
    '{"op":"publish","queue":"q","body":"x",id":7}',
    '{"op":"publish","queue":"q","body":"x","ix":7}',
    '{"op":"publish","queue":"q","body":"x" ,"id":7}',
    '{"op":"publish","queue":"q","body":7}',
  ]
  for (const text of frames) t.equal(read(text), undefined, text)
})

t.test('property: whatever it reads, JSON.parse reads the same', async () => {
  const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('bench', 'q', 'a.b', 'x y', '"', '\\'))
  fc.assert(fc.property(fc.option(fc.integer({ min: 0, max: 2 ** 53 })), anyString, anyString, (id, queue, body) => {
    for (const text of [
      JSON.stringify(id === null ? { op: 'publish', queue, body } : { id, op: 'publish', queue, body }),
      JSON.stringify(id === null ? { op: 'publish', queue, body } : { op: 'publish', queue, body, id }),
    ]) {
      const fast = read(text)
      if (fast) t.same(fast, general(text))
    }
  }), { numRuns: 2000 })
  // Mutated bytes of a valid frame: an accepted result is still what JSON.parse makes of it.
  const bases = [
    Buffer.from('{"id":7,"op":"publish","queue":"bench","body":"AAECAwQFBgcICQ=="}'),
    Buffer.from('{"op":"publish","queue":"bench","body":"AAECAwQFBgcICQ==","id":12}'),
  ]
  fc.assert(fc.property(fc.nat(1), fc.array(fc.tuple(fc.nat(63), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (which, edits) => {
    const base = bases[which] as Buffer
    const buf = Buffer.from(base)
    for (const [at, byte] of edits) buf[at % buf.length] = byte
    const fast = fastPublish(buf, 0, buf.length)
    if (!fast) return
    const text = buf.toString('latin1')
    t.same(fast, general(text), text)
  }), { numRuns: 5000 })
})

t.test('through a broker: binary (fast path) and text (general path) behave the same', async (t) => {
  const b = await startBroker({ limits: { maxMessage: 100 } })
  t.teardown(() => b.stop())
  const binary = await TestClient.connect(b.port, 'binary')
  const text = await TestClient.connect(b.port, 'text')
  t.teardown(() => Promise.all([binary.close(), text.close()]))
  for (const client of [binary, text]) {
    const plain = await client.request({ op: 'publish', queue: 'q', body: 'plain' })
    t.match(plain, { ok: true, mid: String }, 'confirmed without id')
    t.notOk('id' in plain)
    t.match(await client.request({ id: 9, op: 'publish', queue: 'q', body: 'with id' }), { id: 9, ok: true, mid: String })
    t.match(await client.request({ id: 10, op: 'publish', queue: 'q', body: 'x'.repeat(99) }), {
      id: 10, ok: false, error: { code: 'message_too_large', message: 'body is larger than max-message (100 bytes)' },
    }, 'max-message counts the quotes, as JSON.stringify(body) does')
  }
  const got = await text.request({ op: 'receive', queue: 'q', max: 10 })
  t.same(got.messages.map((m: Frame) => m.body), ['plain', 'with id', 'plain', 'with id'], 'the same bodies, in order')
})
