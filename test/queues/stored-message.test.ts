// The compact message record: times kept as offsets, the lease and rare fields in side objects.
// Whatever the representation, every value must read back exactly as it was given.
import t from 'tap'
import { QUEUE_DEFAULTS } from '../../shared/protocol/types.js'
import { Queue } from '../../broker/queues/queue.js'
import { StoredMessage } from '../../broker/queues/message.js'
import { nextMessageId } from '../../broker/queues/message-ids.js'

const queue = new Queue({ queue: 'q', ...QUEUE_DEFAULTS })

t.test('times read back exactly, near now, far from now, zero and fractional', async (t) => {
  const now = Date.now()
  for (const at of [now, now + 0.5, now + 1e-3, now - 400 * 24 * 3600 * 1000, now + 5e9, 0, 1000.25, 1.5e15]) {
    const message = new StoredMessage('m', 1, queue, '1', at, 0, at + 30_000, undefined, undefined, undefined, undefined)
    t.equal(message.publishedAt, at, `publishedAt ${at}`)
    t.equal(message.until, at + 30_000, `until ${at + 30_000}`)
    message.until = at
    t.equal(message.until, at, `until set to ${at}`)
  }
})

t.test('rare fields and the lease read through, and only cost an object when present', async (t) => {
  const plain = new StoredMessage('m1', 2, queue, '"x"', 1, 0, 1, undefined, undefined, undefined, undefined)
  t.equal(plain.extra, undefined)
  t.equal(plain.group, undefined)
  t.equal(plain.origin, undefined)
  t.equal(plain.receipt, undefined)
  plain.origin = undefined
  t.equal(plain.extra, undefined, 'clearing an absent origin makes no object')
  plain.origin = 'dlq'
  t.equal(plain.origin, 'dlq')
  const owner = { id: 'c1' } as never
  plain.lease = { receipt: 'r1', owner, sub: undefined, logged: false }
  t.equal(plain.receipt, 'r1')
  t.equal(plain.owner, owner)
  t.equal(plain.sub, undefined)

  const rich = new StoredMessage('m2', 3, queue, '"y"', 1, 2, 1, { k: 'v' }, 'g', 'd', undefined)
  t.same(rich.attrs, { k: 'v' })
  t.equal(rich.group, 'g')
  t.equal(rich.dedupId, 'd')
  t.equal(rich.receives, 2)
  rich.origin = 'q0'
  t.equal(rich.origin, 'q0')
  t.equal(rich.group, 'g', 'setting origin keeps the other rare fields')
})

t.test('thirteen own fields, the seq one of them and no place in the log: the log finds the data by seq', async (t) => {
  const message = new StoredMessage('m', 2 ** 30, queue, '1', 1, 0, 1, undefined, undefined, undefined, undefined)
  const fields = Object.keys(message)
  t.equal(fields.length, 13, `fields: ${fields.join(', ')}`)
  t.ok(fields.includes('seq'), 'the seq is a field')
  t.notOk(fields.includes('where') || fields.includes('at'), 'no log position')
  t.equal(message.seq, 2 ** 30, 'a seq reads back as given')
})

t.test('message ids: 36-character UUIDv7 strings, ascending within the process', async (t) => {
  const ids: string[] = []
  for (let i = 0; i < 5000; i++) ids.push(nextMessageId(1_700_000_000_000 + (i >> 6)))
  const pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  t.ok(ids.every((id) => pattern.test(id)), 'every id is a version-7 UUID')
  t.ok(ids.every((id, i) => i === 0 || (ids[i - 1] as string) < id), 'each id sorts after the one before')
  t.equal(new Set(ids).size, ids.length, 'no id repeats')
  t.equal((ids[0] as string).slice(0, 13), '018bcfe5-6800', 'the time part leads')
})

t.test('a queue holds its messages in a list through them: order, letting go anywhere, iteration while letting go', async (t) => {
  const q = new Queue({ queue: 'held', ...QUEUE_DEFAULTS })
  const make = (n: number) => new StoredMessage(`m${n}`, n, q, String(n), n, 0, n, undefined, undefined, undefined, undefined)
  const messages = [1, 2, 3, 4, 5].map(make)
  for (const message of messages) q.hold(message)
  const mids = () => [...q.held()].map((m) => m.mid)
  t.same(mids(), ['m1', 'm2', 'm3', 'm4', 'm5'], 'oldest first')
  t.equal(q.size, 5)
  t.ok(q.letGo(messages[2] as StoredMessage), 'a middle one')
  t.ok(q.letGo(messages[0] as StoredMessage), 'the oldest')
  t.ok(q.letGo(messages[4] as StoredMessage), 'the newest')
  t.notOk(q.letGo(messages[4] as StoredMessage), 'one not held any more')
  t.notOk(q.letGo(make(9)), 'one never held')
  t.same(mids(), ['m2', 'm4'])
  t.equal(q.size, 2)
  for (const message of q.held()) q.letGo(message)
  t.same(mids(), [], 'each one let go as it is visited')
  t.equal(q.size, 0)
  for (const message of messages) q.hold(message)
  q.letGoAll()
  t.same(mids(), [])
  t.ok(messages.every((m) => m.older === undefined && m.newer === undefined), 'no message keeps another alive')
  q.hold(messages[3] as StoredMessage)
  t.same(mids(), ['m4'], 'usable again after')
})
