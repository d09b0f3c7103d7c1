// A full disk (injected): publishes answer `unavailable`, never a false confirmation; the broker
// stays up, says it is unhealthy, and takes publishes again once writes succeed.
import t from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { FaultyFs, captureLog } from './fixture.js'

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
  // The retry timer writes the kept ack without any new traffic.
  await journal.commit()
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
