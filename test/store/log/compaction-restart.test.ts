// Over TCP, against a broker on its data folder: messages held while compaction moves their data
// (some out with a consumer, their bodies on disk only) are each served with the body they were
// published with after a restart, whether it starts from the checkpoint or replays the whole log.
import t from 'tap'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { CHECKPOINT_NAME } from '../../../broker/store/log/checkpoint.js'
import { segmentName } from '../../../broker/store/log/segments.js'
import { segmentFiles } from './fixture.js'

const SEGMENT = 16 * 1024

async function brokerOn(dir: string) {
  const store = new LocalStore({ journal: new LogJournal({ dir, segmentBytes: SEGMENT }), bodiesInMemory: 3 })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  return { store, client, stop: async () => { await client.close(); await b.stop() } }
}

function bodyOf(i: number): unknown {
  return i % 2 === 0 ? { i, text: `é "q" \\ ${'w'.repeat(i * 13 % 200)}` } : `ünï ${i} ${'ж'.repeat(i % 40)}`
}

t.test('held messages compacted, then a restart: every body reads back as published', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  // Fifo: every message is held as an object (no backlog, which is never compacted); a group each.
  await first.client.request({ op: 'declare', queue: 'held', fifo: true })
  const published = new Map<string, unknown>()
  for (let i = 0; i < 40; i++) {
    const reply = await first.client.request({ op: 'publish', queue: 'held', body: bodyOf(i), group: `g${i}`, ...(i % 5 === 0 ? { attrs: { n: String(i) } } : {}) })
    published.set(reply.mid as string, bodyOf(i))
  }
  const out = await first.client.request({ op: 'receive', queue: 'held', max: 4 })
  t.equal(out.messages.length, 4, 'four are out with a consumer, not acked')
  for (let round = 0; round < 120 && segmentFiles(dir.path).includes(segmentName(1)); round++) {
    await first.client.request({ op: 'publish', queue: 'churn', messages: Array.from({ length: 10 }, (_, i) => ({ body: `${'z'.repeat(150)} ${round}.${i}` })) })
    const got = await first.client.request({ op: 'receive', queue: 'churn', max: 10 })
    await first.client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
  }
  t.notOk(segmentFiles(dir.path).includes(segmentName(1)), 'the file they were published in is gone: their data was compacted forward')
  await first.stop()

  for (const how of ['checkpoint', 'whole-log replay']) {
    if (how === 'whole-log replay') rmSync(join(dir.path, CHECKPOINT_NAME))
    const broker = await brokerOn(dir.path)
    const got = await broker.client.request({ op: 'receive', queue: 'held', max: 100 })
    t.equal(got.messages.length, 40, `${how}: all 40 are served, the four that were out among them`)
    t.ok(got.messages.every((m: Frame) => JSON.stringify(m.body) === JSON.stringify(published.get(m.mid))), `${how}: every body as published`)
    t.ok(got.messages.every((m: Frame) => {
      const i = typeof m.body === 'string' ? Number(m.body.split(' ')[1]) : (m.body as { i: number }).i
      return i % 5 === 0 ? m.attrs?.n === String(i) : Object.keys(m.attrs ?? {}).length === 0
    }), `${how}: every attrs as published`)
    await broker.stop()
  }
})
