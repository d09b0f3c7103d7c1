// Requests with every op and random values in every field: each gets a reply with ok true or a
// contract error code, never `internal`, and the broker keeps serving (PROTOCOL.md §5).
import t from 'tap'
import { ERROR_CODES } from '../../shared/errors.js'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'
import { random } from '../helpers/random.js'

const OPS = ['hello', 'ping', 'declare', 'publish', 'receive', 'subscribe', 'unsubscribe', 'ack', 'nack', 'touch',
  'topic', 'bind', 'unbind', 'purge', 'drop', 'peek', 'redrive', 'stats']
const FIELDS = ['queue', 'topic', 'body', 'attrs', 'delay', 'group', 'dedupId', 'messages', 'max', 'wait',
  'visibilityTimeout', 'maxReceives', 'deadLetter', 'retention', 'fifo', 'prefetch', 'sub', 'receipt', 'receipts',
  'timeout', 'filter', 'state', 'name', 'token']


t.test('random field values never produce internal', async (t) => {
  const b = await startBroker({ limits: { maxBatch: 10, maxMessage: 1000 } })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const next = random(42)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T
  const values = (depth: number): unknown => {
    const simple: unknown[] = [
      null, true, false, 0, -1, 1, 1.5, 21, 1e9, -1e308, 2 ** 53, '', 'q', 'jobs', 'x'.repeat(90), 'a b',
      '__proto__', 'constructor', 'ready', 'delayed', 's1',
    ]
    if (depth > 1 || next() < 0.6) return pick(simple)
    if (next() < 0.5) return Array.from({ length: Math.floor(next() * 4) }, () => values(depth + 1))
    const obj: Record<string, unknown> = {}
    for (let i = Math.floor(next() * 3); i > 0; i--) obj[String(pick([...FIELDS, '__proto__', 'k']))] = values(depth + 1)
    return obj
  }
  const codes = new Set<string>()
  const total = 3000
  for (let i = 0; i < total; i++) {
    const request: Frame = { op: pick(OPS), id: i }
    for (const field of FIELDS) if (next() < 0.3) request[field] = values(0)
    if (request.op === 'receive' || request.op === 'subscribe') delete request.wait // no long polls here
    c.send(request)
  }
  let bad = 0
  for (let i = 0; i < total; i++) {
    const reply = await c.reply()
    if (reply.id !== i) bad++
    if (reply.ok !== true) {
      codes.add(reply.error?.code)
      if (reply.error?.code === 'internal' || !(ERROR_CODES as readonly string[]).includes(reply.error?.code)) {
        t.fail(`reply ${JSON.stringify(reply)}`)
      }
    }
  }
  t.equal(bad, 0, 'every reply in order')
  t.ok(codes.has('bad_request'), `codes seen: ${[...codes].join(', ')}`)
  t.same(await c.request({ op: 'ping', id: 'end' }), { id: 'end', ok: true })
})
