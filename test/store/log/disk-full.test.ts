// A full disk (injected): publishes answer `unavailable`, never a false confirmation; the broker
// stays up, says it is unhealthy, and takes publishes again once writes succeed.
import t, { type Test } from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { FaultyFs, SmallDiskFs, captureLog } from './fixture.js'

t.test('disk full answers unavailable over TCP and recovers when space returns', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const fs = new FaultyFs()
  const { log, lines } = captureLog()
  const store = new LocalStore({ journal: new LogJournal({ dir: dir.path, fs, log, segmentBytes: 4096 }) })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)

  const before = await client.request({ op: 'publish', queue: 'q', body: 'before' })
  t.equal(before.ok, true)
  fs.full = true
  // Enough to need a new segment too: creating it fails the same way.
  const refused = await client.request({ op: 'publish', queue: 'q', body: 'x'.repeat(5000) })
  t.equal(refused.ok, false)
  t.equal(refused.error?.code, 'unavailable')
  const refusedBatch = await client.request({ op: 'publish', queue: 'q', messages: [{ body: 'a' }, { body: 'b' }] })
  t.equal(refusedBatch.error?.code, 'unavailable', 'a batch is refused as a whole')
  t.equal(store.healthy(), false, 'the store reports itself unhealthy')
  t.equal((await client.request({ op: 'ping' })).ok, true, 'the broker stays up')
  const peek = await client.request({ op: 'peek', queue: 'q', max: 10 })
  t.same(peek.messages.map((m: Frame) => m.body), ['before'], 'no refused message became visible')
  t.equal(lines.filter((l) => l.level === 50 && /write failed \(ENOSPC\)/.test(l.msg)).length, 1, 'one error line for the outage')

  fs.full = false
  const after = await client.request({ op: 'publish', queue: 'q', body: 'after' })
  t.equal(after.ok, true, 'the next write succeeds')
  t.equal(store.healthy(), true)
  t.ok(lines.some((l) => /writes succeed again/.test(l.msg)), 'the recovery is logged')
  await client.close()
  await b.stop()

  const reopened = new LocalStore({ journal: new LogJournal({ dir: dir.path, segmentBytes: 4096 }) })
  const b2 = await startBroker({ store: reopened })
  t.teardown(() => b2.stop())
  const c2 = await TestClient.connect(b2.port)
  t.teardown(() => c2.close())
  const got = await c2.request({ op: 'receive', queue: 'q', max: 10 })
  t.same(got.messages.map((m: Frame) => m.body), ['before', 'after'], 'after a restart: exactly the confirmed messages')
})

t.test('an ack taken while the disk is full is written once space returns', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const fs = new FaultyFs()
  const journal = new LogJournal({ dir: dir.path, fs, retryMs: 10 })
  const store = new LocalStore({ journal })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  await client.request({ op: 'publish', queue: 'q', messages: [{ body: 1 }, { body: 2 }] })
  const got = await client.request({ op: 'receive', queue: 'q', max: 1 })
  fs.full = true
  t.equal((await client.request({ op: 'ack', receipt: got.messages[0].receipt })).acked, 1)
  await t.rejects(journal.commit(), { code: 'unavailable' }, 'the ack record could not be written yet')
  t.equal(store.healthy(), false)
  fs.full = false
  // The kept ack is written without any new traffic, and the retry timer makes the reserve again.
  await journal.commit()
  const deadline = Date.now() + 3000
  while (!store.healthy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(store.healthy(), true)
  await client.close()
  await b.stop()
  const reopened = new LocalStore({ journal: new LogJournal({ dir: dir.path }) })
  const b2 = await startBroker({ store: reopened })
  t.teardown(() => b2.stop())
  const c2 = await TestClient.connect(b2.port)
  t.teardown(() => c2.close())
  const left = await c2.request({ op: 'receive', queue: 'q', max: 10 })
  t.same(left.messages.map((m: Frame) => m.body), [2], 'the acked message stays acked')
})

/** Publishes batches of `body` to `queue` until one is refused; returns how many were confirmed. */
async function publishUntilFull(t: Test, client: TestClient, body: string): Promise<number> {
  let confirmed = 0
  for (let round = 0; round < 10_000; round++) {
    const reply = await client.request({ op: 'publish', queue: 'q', messages: Array.from({ length: 10 }, () => ({ body })) })
    if (!reply.ok) {
      t.equal(reply.error?.code, 'unavailable', `publishing on a full disk answers unavailable (after ${confirmed} confirmed)`)
      return confirmed
    }
    confirmed += reply.mids.length
  }
  throw new Error('the disk never filled')
}

/** Receives and acks until the queue is empty; returns how many were acked. */
async function consumeAll(client: TestClient): Promise<number> {
  let acked = 0
  for (;;) {
    const got = await client.request({ op: 'receive', queue: 'q', max: 100 })
    if (got.messages.length === 0) return acked
    const reply = await client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
    acked += reply.acked
  }
}

/** Publishes `body` until it is confirmed (the broker frees space by itself), or gives up at the deadline. */
async function publishWhenRoom(client: TestClient, body: unknown, ms: number): Promise<Frame> {
  const deadline = Date.now() + ms
  for (;;) {
    const reply = await client.request({ op: 'publish', queue: 'q', body })
    if (reply.ok || Date.now() > deadline) return reply
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

for (const segmentBytes of [64 * 1024, 1024 * 1024]) {
  const shape = segmentBytes < 512 * 1024 ? 'many segments' : 'one segment larger than the disk'
  t.test(`a full disk frees its space once its messages are acked, and no acked message comes back (${shape})`, async (t) => {
    const dir = tempDir()
    t.teardown(() => dir.remove())
    const fs = new SmallDiskFs(512 * 1024)
    const store = new LocalStore({ journal: new LogJournal({ dir: dir.path, fs, segmentBytes, retryMs: 20 }) })
    const b = await startBroker({ store })
    const client = await TestClient.connect(b.port)
    // One message nobody consumes, in the oldest segment: it is carried forward, never lost.
    const kept = await client.request({ op: 'publish', queue: 'keep', body: 'kept' })
    const confirmed = await publishUntilFull(t, client, 'x'.repeat(1000))
    t.ok(confirmed > 100, `${confirmed} messages filled the disk`)
    t.equal(await consumeAll(client), confirmed, 'every confirmed message is delivered and acked')
    const after = await publishWhenRoom(client, 'after', 5000)
    t.equal(after.ok, true, `publishes are taken again once the acked messages' space is freed (${JSON.stringify(after.error)})`)
    // Health comes back once the reserve is made again, which may take a retry after the publish.
    const healthyBy = Date.now() + 3000
    while (!store.healthy() && Date.now() < healthyBy) await new Promise((resolve) => setTimeout(resolve, 10))
    t.equal(store.healthy(), true, 'the store is healthy again')
    const deadline = Date.now() + 3000
    while (fs.used >= fs.capacity / 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    t.ok(fs.used < fs.capacity / 2, `the log freed the space (${fs.used} of ${fs.capacity} bytes used: ${fs.listing()})`)
    const more = await client.request({ op: 'publish', queue: 'q', messages: Array.from({ length: 10 }, () => ({ body: 'y'.repeat(1000) })) })
    t.equal(more.ok, true, 'and keeps taking them')
    await client.close()
    await b.stop()

    const reopened = new LocalStore({ journal: new LogJournal({ dir: dir.path, segmentBytes }) })
    const b2 = await startBroker({ store: reopened })
    t.teardown(() => b2.stop())
    const c2 = await TestClient.connect(b2.port)
    t.teardown(() => c2.close())
    const left = await c2.request({ op: 'receive', queue: 'q', max: 100 })
    t.same(left.messages.map((m: Frame) => m.body), ['after', ...Array.from({ length: 10 }, () => 'y'.repeat(1000))],
      'after a restart: only what was published after the space came back; no acked message returns')
    const keep = await c2.request({ op: 'receive', queue: 'keep', max: 10 })
    t.same(keep.messages.map((m: Frame) => [m.mid, m.body]), [[kept.mid, 'kept']], 'the message nobody consumed is still there')
  })
}
