// Receipts over real TCP (PROTOCOL.md §6.2, §7.3): each carries at least 128 random bits, so no
// receipt can be worked out from another, and with auth a receipt settles only for a token that
// may consume the queue it was delivered from.
import t, { type Test } from 'tap'
import { TestClient, type Frame } from '../helpers/broker.js'
import { authFrom, startHardened } from './helpers.js'

const ADMIN = 'admin-secret-token-1'
const ALICE = 'alice-secret-token-2'
const BOB = 'bob-secret-token-3'
const FILE = {
  tokens: [
    { name: 'ops', token: ADMIN, admin: ['*'], publish: ['*'], consume: ['*'] },
    { name: 'alice', token: ALICE, publish: ['a.*'], consume: ['a.*'] },
    { name: 'bob', token: BOB, publish: ['b.*'], consume: ['b.*'] },
  ],
}

async function as(port: number, token: string, t: Test): Promise<TestClient> {
  const c = await TestClient.connect(port)
  t.teardown(() => c.close())
  t.match(await c.request({ op: 'hello', token }), { ok: true })
  return c
}

async function inflight(admin: TestClient, queue: string): Promise<number> {
  const stats = await admin.request({ op: 'stats', queue })
  return (stats.queues as Frame[])[0]?.inflight as number
}

t.test('receipts are at least 128 random bits, base64url: no receipt tells another', async (t) => {
  const b = await startHardened()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const n = 256
  const receipts: string[] = []
  for (let round = 0; round < n / 64; round++) {
    t.match(await c.request({ op: 'publish', queue: 'jobs', messages: Array.from({ length: 64 }, (_, i) => ({ body: i })) }), { ok: true })
    const got = await c.request({ op: 'receive', queue: 'jobs', max: 64 })
    for (const m of got.messages as Frame[]) receipts.push(m.receipt as string)
  }
  t.equal(receipts.length, n)
  const malformed = receipts.filter((r) => !/^[A-Za-z0-9_-]{22,}$/.test(r))
  t.same(malformed.slice(0, 3), [], 'every receipt is base64url, 22 characters or more (128 bits)')
  t.equal(new Set(receipts).size, n, 'all different')
  // Every one of the first 128 bits is a coin toss across the receipts: no constant prefix, no
  // counter (whose high bits stay put while its low ones count). For 256 fair coins, falling
  // outside 64..192 ones has a probability under 1e-15 per bit.
  const decoded = receipts.map((r) => Buffer.from(r, 'base64url'))
  let skewed = 0
  for (let bit = 0; bit < 128; bit++) {
    let ones = 0
    for (const bytes of decoded) ones += ((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1
    if (ones < 64 || ones > 192) skewed++
  }
  t.equal(skewed, 0, 'no bit of the first 128 is (nearly) constant')
})

t.test('a token may not ack, nack or touch a receipt of a queue it may not consume; nothing changes', async (t) => {
  const b = await startHardened({ auth: authFrom(FILE) })
  t.teardown(() => b.stop())
  const admin = await as(b.port, ADMIN, t)
  const alice = await as(b.port, ALICE, t)
  const bob = await as(b.port, BOB, t)
  t.match(await bob.request({ op: 'publish', queue: 'b.secret', messages: [{ body: 1 }, { body: 2 }, { body: 3 }] }), { ok: true })
  const bobs = ((await bob.request({ op: 'receive', queue: 'b.secret', max: 3 })).messages as Frame[]).map((m) => m.receipt as string)
  t.equal(bobs.length, 3)
  t.match(await alice.request({ op: 'publish', queue: 'a.jobs', body: 'mine' }), { ok: true })
  const mine = ((await alice.request({ op: 'receive', queue: 'a.jobs' })).messages as Frame[])[0]?.receipt as string

  // Alice holds Bob's real receipts (stronger than guessing them), and still cannot settle them.
  for (const receipt of bobs) {
    const denied = await alice.request({ op: 'ack', id: 1, receipt })
    t.match(denied, { id: 1, ok: false, error: { code: 'forbidden' } })
    t.notMatch(denied.error?.message ?? '', 'b.secret', 'the message does not name the other queue')
    t.match(await alice.request({ op: 'ack', id: 2, receipts: [receipt] }), { id: 2, ok: false, error: { code: 'forbidden' } })
    t.match(await alice.request({ op: 'nack', id: 3, receipt }), { id: 3, ok: false, error: { code: 'forbidden' } })
    t.match(await alice.request({ op: 'touch', id: 4, receipt, timeout: 0 }), { id: 4, ok: false, error: { code: 'forbidden' } })
    t.match(await alice.request({ op: 'touch', id: 5, receipt, timeout: 3600 }), { id: 5, ok: false, error: { code: 'forbidden' } })
  }
  // A batch with one forbidden receipt is refused whole: her own receipt in it is not acked either.
  t.match(await alice.request({ op: 'ack', id: 6, receipts: [mine, bobs[0]] }), { id: 6, ok: false, error: { code: 'forbidden' } })
  t.equal(await inflight(admin, 'a.jobs'), 1, "alice's own delivery is still in flight")
  t.equal(await inflight(admin, 'b.secret'), 3, "bob's deliveries are all still in flight")

  // A receipt nobody holds is unknown to her as to anyone; her own receipts settle as before.
  t.match(await alice.request({ op: 'ack', id: 7, receipt: 'AAAAAAAAAAAAAAAAAAAAAA' }), { id: 7, ok: false, error: { code: 'unknown_receipt' } })
  t.match(await alice.request({ op: 'ack', id: 8, receipts: [mine, 'AAAAAAAAAAAAAAAAAAAAAA'] }), { id: 8, ok: true, acked: 1 })
  // Bob settles his own: each receipt still works (touch 3600 above did not move its deadline, and
  // touch 0 did not release it: the message would have answered unknown_receipt here).
  t.match(await bob.request({ op: 'touch', id: 9, receipt: bobs[2], timeout: 60 }), { id: 9, ok: true })
  t.match(await bob.request({ op: 'nack', id: 10, receipt: bobs[1] }), { id: 10, ok: true })
  t.match(await bob.request({ op: 'ack', id: 11, receipts: [bobs[0], bobs[2]] }), { id: 11, ok: true, acked: 2 })
  // The admin (consume on every name) may settle anyone's receipt.
  const again = ((await bob.request({ op: 'receive', queue: 'b.secret' })).messages as Frame[])[0]?.receipt as string
  t.match(await admin.request({ op: 'ack', id: 12, receipt: again }), { id: 12, ok: true, acked: 1 })
  t.equal(await inflight(admin, 'b.secret'), 0)
})

t.test('a consume deny on the receipt\'s queue wins over an allow pattern that covers it', async (t) => {
  const file = {
    tokens: [
      { name: 'ops', token: ADMIN, admin: ['*'], publish: ['*'], consume: ['*'] },
      { name: 'carol', token: ALICE, publish: ['*'], consume: ['*'], deny: { consume: ['vault'] } },
    ],
  }
  const b = await startHardened({ auth: authFrom(file) })
  t.teardown(() => b.stop())
  const admin = await as(b.port, ADMIN, t)
  const carol = await as(b.port, ALICE, t)
  t.match(await admin.request({ op: 'publish', queue: 'vault', body: 1 }), { ok: true })
  const receipt = ((await admin.request({ op: 'receive', queue: 'vault' })).messages as Frame[])[0]?.receipt as string
  t.match(await carol.request({ op: 'ack', id: 1, receipt }), { id: 1, ok: false, error: { code: 'forbidden' } })
  t.equal(await inflight(admin, 'vault'), 1)
})
