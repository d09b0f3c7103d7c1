// The log reads what its records do to a segment (its entries, whether it holds metadata to
// write again before it goes) in one place, for the records it writes while running and for the
// records it reads back at start-up. A clean stop writes those counts into the checkpoint: the
// counts of a broker that wrote the records, and those of one that replayed them all, must agree.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { CHECKPOINT_NAME, decodeCheckpoint, type SegmentEntry } from '../../../broker/store/log/checkpoint.js'
import { segmentFiles } from './fixture.js'

const SEGMENT = 16 * 1024
const BODY = 'z'.repeat(300)

async function brokerOn(dir: string) {
  const b = await startBroker({ store: new LocalStore({ journal: new LogJournal({ dir, segmentBytes: SEGMENT }) }) })
  const client = await TestClient.connect(b.port)
  return { client, stop: async () => { await client.close(); await b.stop() } }
}

function checkpointSegments(dir: string): SegmentEntry[] {
  const decoded = decodeCheckpoint(readFileSync(join(dir, CHECKPOINT_NAME)))
  if (typeof decoded === 'string') throw new Error(`the checkpoint is not usable: ${decoded}`)
  return decoded.segments
}

t.test('the segments a restart replays whole count as they counted while they were written', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  const c = first.client
  await c.request({ op: 'declare', queue: 'plain' })
  await c.request({ op: 'declare', queue: 'f', fifo: true })
  await c.request({ op: 'declare', queue: 'other' })
  await c.request({ op: 'topic', topic: 'fan' })
  await c.request({ op: 'bind', topic: 'fan', queue: 'plain' })
  await c.request({ op: 'bind', topic: 'fan', queue: 'other' })
  for (let i = 0; i < 40; i++) {
    // Plain publishes, a publish to two queues, and a publish whose dedupId the log must keep.
    await c.request({ op: 'publish', queue: 'plain', body: `${BODY}${i}` })
    await c.request({ op: 'publish', topic: 'fan', body: `${BODY}fan${i}` })
    await c.request({ op: 'publish', queue: 'f', body: `${BODY}f${i}`, group: 'g', dedupId: `d${i}` })
  }
  // Some end while running: that moves live counts, not what a segment holds.
  const got = await c.request({ op: 'receive', queue: 'other', max: 10 })
  await c.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
  t.ok(segmentFiles(dir.path).length >= 3, 'the traffic spans several segments')
  await first.stop()
  const whileRunning = checkpointSegments(dir.path)
  t.ok(whileRunning.some((s) => s.entries > 0) && whileRunning.some((s) => s.metadata), 'the counts taken while running hold entries and metadata')

  // Without the checkpoint the restart reads every record back.
  rmSync(join(dir.path, CHECKPOINT_NAME))
  const second = await brokerOn(dir.path)
  await second.stop()
  const afterReplay = checkpointSegments(dir.path)
  const before = new Map(whileRunning.map((s) => [s.id, s]))
  const replayedSegments = afterReplay.filter((s) => before.has(s.id))
  t.equal(replayedSegments.length, whileRunning.length, 'every segment is still there after the restart')
  for (const segment of replayedSegments) {
    const was = before.get(segment.id) as SegmentEntry
    t.same({ entries: segment.entries, metadata: segment.metadata, size: segment.size }, { entries: was.entries, metadata: was.metadata, size: was.size },
      `segment ${segment.id} counts the same after a whole replay as while it was written`)
  }
})
