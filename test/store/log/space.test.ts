// Segment deletion and compaction under churn keep the data folder bounded, and never lose a
// live message or a queue's settings on the way.
import t from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { folderBytes, segmentFiles } from './fixture.js'
import { RESERVE_FILE } from '../../../broker/store/log/reserve.js'
import { statSync } from 'node:fs'
import { join } from 'node:path'

const SEGMENT = 16 * 1024

async function brokerOn(dir: string) {
  const store = new LocalStore({ journal: new LogJournal({ dir, segmentBytes: SEGMENT }) })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  return { store, b, client, stop: async () => { await client.close(); await b.stop() } }
}

t.test('publishing and acking far more than a segment holds keeps the folder bounded', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  await first.client.request({ op: 'declare', queue: 'keep', visibilityTimeout: 77, fifo: true })
  // One old message nobody consumes: compaction must carry it forward, not let it pin the log.
  const pinned = await first.client.request({ op: 'publish', queue: 'keep', body: { old: true }, group: 'g' })
  let sameGroup: Frame | undefined
  const body = 'z'.repeat(100)
  let written = 0
  let maxFolder = 0
  let maxReserve = 0
  for (let round = 0; round < 150; round++) {
    // Its group's next message lands in a later segment than the one compaction rewrites it into.
    if (round === 10) sameGroup = await first.client.request({ op: 'publish', queue: 'keep', body: { old: false }, group: 'g' })
    const pub = await first.client.request({ op: 'publish', queue: 'churn', messages: Array.from({ length: 20 }, (_, i) => ({ body: `${body}${round}.${i}` })) })
    if (pub.mids?.length !== 20) t.fail(`round ${round}: publish answered ${JSON.stringify(pub)}`)
    const got = await first.client.request({ op: 'receive', queue: 'churn', max: 20 })
    const acked = await first.client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
    if (acked.acked !== 20) t.fail(`round ${round}: acked ${acked.acked}`)
    written += 20 * (body.length + 100)
    // The reserve (room kept for the deletes the log owes) is not log: it is measured on its own.
    const reserve = statSync(join(dir.path, RESERVE_FILE), { throwIfNoEntry: false })?.size ?? 0
    maxReserve = Math.max(maxReserve, reserve)
    maxFolder = Math.max(maxFolder, folderBytes(dir.path) - reserve)
  }
  t.ok(written > 30 * SEGMENT, `wrote ${written} bytes of messages, ${Math.round(written / SEGMENT)} segments' worth`)
  t.ok(maxFolder <= 6 * SEGMENT, `the folder stayed within 6 segments (largest ${maxFolder} bytes)`)
  t.ok(maxReserve <= 128 * 1024, `the reserve stayed small with few live messages (largest ${maxReserve} bytes)`)
  t.ok(segmentFiles(dir.path).length <= 6, `${segmentFiles(dir.path).length} segment files remain`)
  t.notOk(segmentFiles(dir.path).includes('0000000000000001.log'), 'the first segment (with the pinned message) is gone')
  await first.stop()

  const second = await brokerOn(dir.path)
  t.teardown(() => second.stop())
  t.equal(second.store.queues.get('keep')?.config.visibilityTimeout, 77, 'queue settings outlive the segment they were written in')
  const kept = await second.client.request({ op: 'receive', queue: 'keep', max: 10 })
  t.same(kept.messages.map((m: Frame) => [m.mid, m.body]), [[pinned.mid, { old: true }]], 'the pinned message survived compaction, first in its group')
  await second.client.request({ op: 'ack', receipt: kept.messages[0].receipt })
  const next = await second.client.request({ op: 'receive', queue: 'keep', max: 10 })
  t.same(next.messages.map((m: Frame) => m.mid), [sameGroup?.mid], 'then the next one of its group')
  const churn = await second.client.request({ op: 'receive', queue: 'churn', max: 10 })
  t.same(churn.messages, [], 'no acked message came back')
})
