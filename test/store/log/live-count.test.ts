// The log counts live messages per segment through the messages themselves (each one notes the
// segment with its data), and by queue and id only while it replays at start-up. These tests
// follow a message across that hand-over, a dead-letter move, a redrive, a purge and a drop: a
// segment goes once nothing live is left in it (or its live messages were compacted forward),
// and a message it held is still whole after a restart.
import t from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { segmentFiles } from './fixture.js'

const SEGMENT = 16 * 1024
const FIRST = '0000000000000001.log'
const BODY = 'y'.repeat(200)

async function brokerOn(dir: string) {
  const store = new LocalStore({ journal: new LogJournal({ dir, segmentBytes: SEGMENT }) })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  return { store, client, stop: async () => { await client.close(); await b.stop() } }
}

type Client = TestClient

/** Publishes and acks on a queue of its own until `done()` (true) or `rounds` pass (false). */
async function churnUntil(client: Client, done: () => boolean, rounds = 200): Promise<boolean> {
  for (let round = 0; round < rounds; round++) {
    if (done()) return true
    await client.request({ op: 'publish', queue: 'churn', messages: Array.from({ length: 10 }, (_, i) => ({ body: `${BODY}${round}.${i}` })) })
    const got = await client.request({ op: 'receive', queue: 'churn', max: 10 })
    await client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
  }
  return done()
}

function churnUntilFirstGone(client: Client, dir: string): Promise<boolean> {
  return churnUntil(client, () => !segmentFiles(dir).includes(FIRST))
}

/** Fills the first segment with `n` messages on `queue` and starts a second one. */
async function fillFirst(client: Client, queue: string, n: number): Promise<string[]> {
  const mids: string[] = []
  for (let i = 0; i < n; i++) mids.push((await client.request({ op: 'publish', queue, body: `${BODY}${i}` })).mid)
  return mids
}

t.test('messages replayed at start-up are counted through the hand-over: compacted while out, freed once acked', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  const mids = await fillFirst(first.client, 'q', 100)
  t.ok(segmentFiles(dir.path).length >= 2, 'the messages span more than one segment')
  await first.stop()

  const second = await brokerOn(dir.path)
  const got = await second.client.request({ op: 'receive', queue: 'q', max: 100 })
  t.same(got.messages.map((m: Frame) => m.mid), mids, 'every message came back after the restart')
  // Compaction finds them only through the segment each one was handed at start-up.
  t.ok(await churnUntilFirstGone(second.client, dir.path), 'out with a consumer, they are compacted out of the first segment')
  await second.stop()

  const third = await brokerOn(dir.path)
  const again = await third.client.request({ op: 'receive', queue: 'q', max: 100 })
  t.same(again.messages.map((m: Frame) => [m.mid, m.body]), mids.map((mid, i) => [mid, `${BODY}${i}`]), 'compaction carried all of them, whole')
  await third.client.request({ op: 'ack', receipts: again.messages.map((m: Frame) => m.receipt) })
  const holding = segmentFiles(dir.path)[0]
  t.ok(await churnUntil(third.client, () => segmentFiles(dir.path)[0] !== holding), 'acked, the segment that held them goes')
  await third.stop()

  const fourth = await brokerOn(dir.path)
  t.teardown(() => fourth.stop())
  t.same((await fourth.client.request({ op: 'receive', queue: 'q', max: 10 })).messages, [], 'nothing acked came back')
})

t.test('a dead-lettered message keeps its data through a move, compaction, a restart and a redrive', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  await first.client.request({ op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'work.dead' })
  const [mid] = await fillFirst(first.client, 'work', 1)
  const got = await first.client.request({ op: 'receive', queue: 'work', max: 1 })
  await first.client.request({ op: 'nack', receipt: got.messages[0].receipt })
  const stats = await first.client.request({ op: 'stats', queue: 'work.dead' })
  t.equal(stats.queues?.[0]?.ready ?? stats.ready, 1, 'the message is in the dead-letter queue')
  // The only live message in the first segment now belongs to work.dead: compaction must carry it.
  t.ok(await churnUntilFirstGone(first.client, dir.path), 'the first segment is compacted away')
  await first.stop()

  const second = await brokerOn(dir.path)
  const dead = await second.client.request({ op: 'receive', queue: 'work.dead', max: 10, visibilityTimeout: 0 })
  t.same(dead.messages.map((m: Frame) => [m.mid, m.body]), [[mid, `${BODY}0`]], 'after the restart the dead letter is whole')
  await second.client.request({ op: 'nack', receipt: dead.messages[0].receipt })
  const redriven = await second.client.request({ op: 'redrive', queue: 'work.dead' })
  t.equal(redriven.moved, 1, 'redriven back to work')
  await second.stop()

  const third = await brokerOn(dir.path)
  t.teardown(() => third.stop())
  const back = await third.client.request({ op: 'receive', queue: 'work', max: 10 })
  t.same(back.messages.map((m: Frame) => [m.mid, m.body]), [[mid, `${BODY}0`]], 'after another restart it is back in work, whole')
  await third.client.request({ op: 'ack', receipt: back.messages[0].receipt })
  t.ok(await churnUntilFirstGone(third.client, dir.path), 'acked at last, nothing pins the log')
})

t.test('a purge and a drop free the segments of the messages they remove', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  await fillFirst(first.client, 'purged', 40)
  await fillFirst(first.client, 'dropped', 40)
  await first.client.request({ op: 'purge', queue: 'purged' })
  await first.client.request({ op: 'drop', queue: 'dropped' })
  t.ok(await churnUntilFirstGone(first.client, dir.path), 'purged and dropped, the first segment goes')
  await first.stop()

  const second = await brokerOn(dir.path)
  t.teardown(() => second.stop())
  t.same((await second.client.request({ op: 'receive', queue: 'purged', max: 10 })).messages, [], 'the purge held')
  t.notOk(second.store.queues.has('dropped'), 'the drop held')
})

t.test('stats counters outlive the segments their records were in', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  await first.client.request({ op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'work.dead' })
  await fillFirst(first.client, 'work', 3)
  const got = await first.client.request({ op: 'receive', queue: 'work', max: 1 })
  await first.client.request({ op: 'nack', receipt: got.messages[0].receipt })
  t.ok(await churnUntilFirstGone(first.client, dir.path), 'the first segment is gone')
  // A few more removals, each of a segment full of publishes and acks.
  const third = '0000000000000003.log'
  t.ok(await churnUntil(first.client, () => !segmentFiles(dir.path).includes(third)), 'the third one too')
  const counts = (stats: Frame) => stats.queues.map((q: Frame) => [q.queue, q.published, q.acked, q.deadLettered])
  const before = counts(await first.client.request({ op: 'stats' }))
  await first.stop()

  const second = await brokerOn(dir.path)
  t.teardown(() => second.stop())
  const after = counts(await second.client.request({ op: 'stats' }))
  t.same(after, before, 'published, acked and dead-lettered as they were')
})
