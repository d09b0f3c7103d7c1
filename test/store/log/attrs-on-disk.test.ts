// A message's attrs stay with its body: when a deep queue keeps a body on disk only, the attrs go
// there with it (no memory is kept for them) and come back with it, whatever path the message
// takes: peek, receive, subscribe, a dead-letter move, a redrive, compaction, a restart.
import t from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { segmentFiles } from './fixture.js'

const SEGMENT = 16 * 1024
const IN_MEMORY = 3

async function brokerOn(dir: string) {
  const store = new LocalStore({ journal: new LogJournal({ dir, segmentBytes: SEGMENT }), bodiesInMemory: IN_MEMORY })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  return { store, client, stop: async () => { await client.close(); await b.stop() } }
}

function attrsOf(i: number): Record<string, string> {
  return { n: String(i), note: `ä ${'a'.repeat(i % 40)}`, 'with space': `"${i}"` }
}

/**
 * [bodies kept on disk only, of those how many still keep attrs in memory]: the queue's backlog
 * (no object at all), and objects without their body.
 */
function onDisk(store: LocalStore, queue: string): [number, number] {
  let bodies = store.queues.get(queue)?.backlog.size ?? 0
  let attrs = 0
  for (const message of store.queues.get(queue)?.held() ?? []) {
    if (message.bodyJson !== undefined) continue
    bodies++
    if (message.attrs !== undefined) attrs++
  }
  return [bodies, attrs]
}

async function publishAll(client: TestClient, queue: string, from: number, n: number): Promise<string[]> {
  const mids: string[] = []
  for (let i = from; i < from + n; i++) {
    const reply = await client.request({ op: 'publish', queue, body: { i }, attrs: attrsOf(i) })
    mids.push(reply.mid)
  }
  return mids
}

const whole = (messages: Frame[]): unknown[] => messages.map((m) => [m.mid, m.body, m.attrs])
const expected = (mids: string[], from: number): unknown[] => mids.map((mid, i) => [mid, { i: from + i }, attrsOf(from + i)])

t.test('attrs go to disk with their bodies and come back with them: peek, receive, subscribe', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const { store, client, stop } = await brokerOn(dir.path)
  t.teardown(stop)
  const mids = await publishAll(client, 'q', 0, 30)
  t.same(onDisk(store, 'q'), [30 - IN_MEMORY, 0], 'past the window, neither bodies nor attrs are kept in memory')
  t.same(whole((await client.request({ op: 'peek', queue: 'q', max: 30 })).messages), expected(mids, 0), 'peek: attrs read back')
  t.same(onDisk(store, 'q'), [30 - IN_MEMORY, 0], 'and not kept after')
  const got = await client.request({ op: 'receive', queue: 'q', max: 15 })
  t.same(whole(got.messages), expected(mids.slice(0, 15), 0), 'receive: attrs read back')
  await client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
  const sub = await client.request({ op: 'subscribe', queue: 'q', prefetch: 50 })
  t.same(whole(await client.waitDeliveries(15)), expected(mids.slice(15), 15), 'subscribe: attrs read back')
  await client.request({ op: 'unsubscribe', sub: sub.sub })
})

t.test('attrs on disk survive a dead-letter move, compaction, a redrive and a restart', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  await first.client.request({ op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'work.dead' })
  const mids = await publishAll(first.client, 'work', 0, 20)
  const got = await first.client.request({ op: 'receive', queue: 'work', max: 20 })
  for (const m of got.messages) await first.client.request({ op: 'nack', receipt: m.receipt })
  t.same(whole((await first.client.request({ op: 'peek', queue: 'work.dead', max: 40 })).messages),
    expected(mids, 0), 'moved to the dead letters with their attrs')
  for (let round = 0; round < 300 && segmentFiles(dir.path).includes('0000000000000001.log'); round++) {
    await first.client.request({ op: 'publish', queue: 'churn', messages: Array.from({ length: 10 }, () => ({ body: 'c'.repeat(300) })) })
    const churn = await first.client.request({ op: 'receive', queue: 'churn', max: 10 })
    await first.client.request({ op: 'ack', receipts: churn.messages.map((m: Frame) => m.receipt) })
  }
  t.notOk(segmentFiles(dir.path).includes('0000000000000001.log'), 'the first segment was compacted away')
  // Published after the churn: they join the dead-letter queue's backlog, which compaction never rewrites.
  const more = await publishAll(first.client, 'work.dead', 20, 20)
  t.same(onDisk(first.store, 'work.dead')[1], 0, 'no attrs in memory for the dead letters kept on disk')
  t.same(whole((await first.client.request({ op: 'peek', queue: 'work.dead', max: 40 })).messages),
    [...expected(mids, 0), ...expected(more, 20)], 'after compaction, with their attrs')
  t.equal((await first.client.request({ op: 'redrive', queue: 'work.dead' })).moved, 20)
  await first.stop()

  const second = await brokerOn(dir.path)
  t.teardown(() => second.stop())
  t.same(onDisk(second.store, 'work'), [20 - IN_MEMORY, 0], 'replayed: no attrs in memory past the window')
  t.same(onDisk(second.store, 'work.dead'), [20, 0], 'the dead-letter queue\'s backlog: all on disk until taken')
  t.same(whole((await second.client.request({ op: 'receive', queue: 'work', max: 20 })).messages), expected(mids, 0),
    'redriven and restarted, back in work with their attrs')
  t.same(whole((await second.client.request({ op: 'receive', queue: 'work.dead', max: 20 })).messages), expected(more, 20),
    'the others in the dead-letter queue with theirs')
})
