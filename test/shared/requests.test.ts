// Request validation: unknown JSON -> typed fields, or a HubqError with a precise message.
import t from 'tap'
import { HubqError } from '../../shared/errors.js'
import {
  DEFAULT_LIMITS, attrs, batchSize, boolean, filter, integer, name, number, parseEnvelope, peekState,
  publishInputs, receipts, string,
} from '../../shared/protocol/requests.js'

function failure(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof HubqError) return { code: err.code, message: err.message }
    throw err
  }
  return undefined
}

const bad = (message: string) => ({ code: 'bad_request', message })

t.test('envelope', async (t) => {
  const notJson = parseEnvelope('{"op":')
  t.equal(notJson.ok, false)
  if (!notJson.ok) {
    t.equal(notJson.error.code, 'bad_json')
    t.match(notJson.error.message, /^frame is not valid JSON: /)
  }
  for (const text of ['[1]', '"ping"', 'null', '3']) {
    const envelope = parseEnvelope(text)
    t.same(envelope.ok ? undefined : envelope.error.toWire(), bad('a request must be a JSON object'), text)
  }
  const badId = parseEnvelope('{"op":"ping","id":{"x":1}}')
  t.same(badId.ok ? undefined : { id: badId.id, ...badId.error.toWire() }, { id: undefined, ...bad('id must be a string or a number') })
  const noOp = parseEnvelope('{"id":"x"}')
  t.same(noOp.ok ? undefined : { id: noOp.id, ...noOp.error.toWire() }, { id: 'x', ...bad('op must be a string') })
  t.same(parseEnvelope('{"op":"ping","id":3}'), { ok: true, op: 'ping', id: 3, obj: { op: 'ping', id: 3 } })
})

t.test('names', async (t) => {
  t.equal(name({ queue: 'jobs.v2_x-y' }, 'queue'), 'jobs.v2_x-y')
  t.same(failure(() => name({}, 'queue')), bad('queue must be a string'))
  t.same(failure(() => name({ queue: 5 }, 'queue')), bad('queue must be a string'))
  const pattern = bad("queue must be 1 to 80 characters of letters, digits, '-', '_' or '.'")
  t.same(failure(() => name({ queue: '' }, 'queue')), pattern)
  t.same(failure(() => name({ queue: 'has space' }, 'queue')), pattern)
  t.same(failure(() => name({ queue: 'q'.repeat(81) }, 'queue')), pattern)
  t.equal(name({ queue: 'q'.repeat(80) }, 'queue').length, 80)
})

t.test('strings, numbers, integers, booleans', async (t) => {
  t.same(failure(() => string({ receipt: '' }, 'receipt')), bad('receipt must be a non-empty string'))
  t.same(failure(() => string({ receipt: 'x'.repeat(201) }, 'receipt', 200)), bad('receipt must be at most 200 characters'))
  t.same(failure(() => number({}, 'timeout', 0, 10)), bad('timeout is required'))
  t.equal(number({}, 'wait', 0, 20, 0), 0, 'fallback when absent')
  t.equal(number({ wait: null }, 'wait', 0, 20, 0), 0, 'null counts as absent')
  t.same(failure(() => number({ wait: 21 }, 'wait', 0, 20, 0)), bad('wait must be a number between 0 and 20'))
  t.same(failure(() => number({ wait: '1' }, 'wait', 0, 20, 0)), bad('wait must be a number between 0 and 20'))
  t.same(failure(() => number({ wait: -1 }, 'wait', 0, 20, 0)), bad('wait must be a number between 0 and 20'))
  t.same(failure(() => integer({ max: 1.5 }, 'max', 1, 10)), bad('max must be an integer between 1 and 10'))
  t.same(failure(() => boolean({ fifo: 'yes' }, 'fifo', false)), bad('fifo must be true or false'))
  t.equal(boolean({}, 'fifo', false), false)
})

t.test('batch sizes over max-batch are a limit, other bad values a bad request', async (t) => {
  t.equal(batchSize({}, 'max', 100, 1), 1)
  t.equal(batchSize({ max: 100 }, 'max', 100, 1), 100)
  t.same(failure(() => batchSize({ max: 101 }, 'max', 100, 1)), { code: 'limit', message: 'max may be at most 100 (max-batch)' })
  t.same(failure(() => batchSize({ max: 0 }, 'max', 100, 1)), bad('max must be a number between 1 and 100'))
  t.same(failure(() => batchSize({ max: 'ten' }, 'max', 100, 1)), bad('max must be a number between 1 and 100'))
})

t.test('attrs and filters', async (t) => {
  t.same(attrs({ attrs: { a: 'b' } }), { a: 'b' })
  t.equal(attrs({ attrs: {} }), undefined, 'empty attrs are no attrs')
  t.same(failure(() => attrs({ attrs: [] })), bad('attrs must be an object of string values'))
  t.same(failure(() => attrs({ attrs: { n: 1 } })), bad('attrs.n must be a string'))
  const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']))
  t.same(failure(() => attrs({ attrs: many })), bad('attrs may hold at most 50 entries'))
  t.same(filter({ filter: { kind: ['a', 'b'] } }), { kind: ['a', 'b'] })
  const odd = filter(JSON.parse('{"filter":{"__proto__":["a"]}}') as Record<string, unknown>)
  t.same(Object.keys(odd ?? {}), ['__proto__'], 'an attribute named __proto__ stays a key of the filter')
  t.same(failure(() => filter({ filter: 'x' })), bad('filter must be an object of {attr: [allowed values]}'))
  t.same(failure(() => filter({ filter: { kind: [] } })), bad('filter.kind must be a non-empty array of strings'))
  t.same(failure(() => filter({ filter: { kind: [1] } })), bad('filter.kind must be a non-empty array of strings'))
})

t.test('receipts', async (t) => {
  t.same(receipts({ receipt: 'r1' }, 100), ['r1'])
  t.same(receipts({ receipts: ['a', 'b'] }, 100), ['a', 'b'])
  t.same(failure(() => receipts({}, 100)), bad('receipt must be a non-empty string'))
  t.same(failure(() => receipts({ receipts: [] }, 100)), bad('receipts must be a non-empty array'))
  t.same(failure(() => receipts({ receipts: ['a', 2] }, 100)), bad('receipts must hold strings'))
  t.same(failure(() => receipts({ receipts: new Array(11).fill('r') }, 0.1)), { code: 'limit', message: 'receipts may hold at most 10 entries' })
})

t.test('publish inputs', async (t) => {
  const limits = { ...DEFAULT_LIMITS, maxMessage: 20, maxBatch: 2 }
  t.same(publishInputs({ body: { a: 1 } }, limits), { inputs: [{ bodyJson: '{"a":1}' }], batch: false })
  t.same(publishInputs({ body: null }, limits).inputs, [{ bodyJson: 'null' }], 'null is a body')
  t.same(failure(() => publishInputs({}, limits)), bad('body is required'))
  t.same(failure(() => publishInputs({ body: 'x'.repeat(30) }, limits)), {
    code: 'message_too_large', message: 'body is larger than max-message (20 bytes)',
  })
  t.same(failure(() => publishInputs({ body: 1, delay: -1 }, limits)), bad('delay must be a number between 0 and 31536000'))
  t.same(failure(() => publishInputs({ body: 1, group: '' }, limits)), bad('group must be a non-empty string'))
  t.same(failure(() => publishInputs({ messages: [] }, limits)), bad('messages must be a non-empty array'))
  t.same(failure(() => publishInputs({ messages: [1] }, limits)), bad('messages[0] must be an object'))
  t.same(failure(() => publishInputs({ messages: [{ body: 1 }, {}] }, limits)), bad('messages[1].body is required'))
  t.same(failure(() => publishInputs({ messages: [{ body: 1 }, { body: 2 }, { body: 3 }] }, limits)), {
    code: 'limit', message: 'messages may hold at most 2 entries (max-batch)',
  })
  const batch = publishInputs({ messages: [{ body: 1, attrs: { k: 'v' }, delay: 5, group: 'g', dedupId: 'd' }] }, limits)
  t.same(batch, { inputs: [{ bodyJson: '1', attrs: { k: 'v' }, delay: 5, group: 'g', dedupId: 'd' }], batch: true })
})

t.test('shape limits on requests: depth and keys, brackets inside strings aside', async (t) => {
  const shape = { maxDepth: 3, maxKeys: 5 }
  const deep = '{"op":"x","a":[[[1]]]}'
  t.equal(parseEnvelope(deep, shape).ok, false, 'depth 4 over max-depth 3')
  t.equal(parseEnvelope('{"op":"x","a":[1],"pad":"' + 'y'.repeat(20) + '"}', shape).ok, true)
  t.equal(parseEnvelope('{"op":"x","a":"[[[{{{","b":"' + 'y'.repeat(20) + '"}', shape).ok, true, 'brackets in strings are not nesting')
  t.equal(parseEnvelope('{"op":"x","a":1,"b":2,"c":3,"d":4,"e":5}', shape).ok, false, '6 keys over max-keys 5')
  t.equal(parseEnvelope('{"op":"x","a":1,"b":2,"c":3,"d":4}', shape).ok, true)
})

t.test('a body near max-message is measured in UTF-8 bytes', async (t) => {
  const limits = { ...DEFAULT_LIMITS, maxMessage: 30 }
  t.same(publishInputs({ body: 'x'.repeat(28) }, limits).inputs, [{ bodyJson: JSON.stringify('x'.repeat(28)) }], '30 bytes fit')
  t.equal(failure(() => publishInputs({ body: 'é'.repeat(15) }, limits))?.code, 'message_too_large', '32 bytes in 17 characters do not')
  t.same(publishInputs({ body: 'é'.repeat(14) }, limits).inputs, [{ bodyJson: JSON.stringify('é'.repeat(14)) }], '30 bytes in 16 characters fit')
})

t.test('peek state', async (t) => {
  t.equal(peekState({}), 'ready')
  t.equal(peekState({ state: 'delayed' }), 'delayed')
  t.same(failure(() => peekState({ state: 'gone' })), bad('state must be one of ready, inflight, delayed'))
})
