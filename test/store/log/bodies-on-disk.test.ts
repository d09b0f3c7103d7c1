// A deep queue keeps the bodies of the messages behind its first few on disk only, and reads each
// one back as it is taken. Whatever path a message takes (receive, subscribe, peek, compaction, a
// dead-letter move and a redrive, a restart), its body comes back exactly as it was published; a
// body that cannot be read loses nothing.
import t from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { nodeFs, type LogFs } from '../../../broker/store/log/fs.js'
import { segmentFiles } from './fixture.js'

const SEGMENT = 16 * 1024
const IN_MEMORY = 5

async function brokerOn(dir: string, fs: LogFs = nodeFs) {
  const store = new LocalStore({ journal: new LogJournal({ dir, segmentBytes: SEGMENT, fs }), bodiesInMemory: IN_MEMORY })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  return { store, client, stop: async () => { await client.close(); await b.stop() } }
}

/** Bodies of every shape the wire allows: text with escapes and non-ASCII, numbers, objects. */
function bodyOf(i: number): unknown {
  switch (i % 4) {
    case 0: return `plain ${i} ${'x'.repeat(i % 50)}`
    case 1: return { i, text: `é "quoted" \\ ✓ ${i}`, list: [i, null, true] }
    case 2: return i * 1.5
    default: return `ünïcödé ${'ж'.repeat(i % 30)} ${i}`
  }
}

/** Ready messages whose bodies are in the log only: those of the backlog, and objects without their body. */
function onDisk(store: LocalStore, queue: string): number {
  let count = store.queues.get(queue)?.backlog.size ?? 0
  for (const message of store.queues.get(queue)?.held() ?? []) if (message.bodyJson === undefined) count++
  return count
}

async function publishAll(client: TestClient, queue: string, n: number, from = 0): Promise<string[]> {
  const mids: string[] = []
  for (let i = from; i < from + n; i++) {
    const reply = await client.request({ op: 'publish', queue, body: bodyOf(i), attrs: { n: String(i) } })
    mids.push(reply.mid)
  }
  return mids
}

t.test('receive and subscribe get every body back exactly, in order, from memory and from disk', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const { store, client, stop } = await brokerOn(dir.path)
  t.teardown(stop)
  const mids = await publishAll(client, 'q', 200)
  t.equal(onDisk(store, 'q'), 200 - IN_MEMORY, `all but the first ${IN_MEMORY} keep their bodies on disk only`)
  t.ok(segmentFiles(dir.path).length >= 2, 'across more than one segment')

  const peeked = await client.request({ op: 'peek', queue: 'q', max: 100 })
  t.same(peeked.messages.map((m: Frame) => m.body), mids.slice(0, 100).map((_, i) => bodyOf(i)), 'peek reads them without taking them')
  t.equal(onDisk(store, 'q'), 200 - IN_MEMORY, 'and leaves them on disk')

  const got = await client.request({ op: 'receive', queue: 'q', max: 60 })
  t.same(got.messages.map((m: Frame) => [m.mid, m.body, m.attrs]), mids.slice(0, 60).map((mid, i) => [mid, bodyOf(i), { n: String(i) }]),
    'receive: ids, bodies and attributes as published')
  await client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })

  const sub = await client.request({ op: 'subscribe', queue: 'q', prefetch: 200 })
  const pushed = await client.waitDeliveries(140)
  t.same(pushed.map((m: Frame) => [m.mid, m.body]), mids.slice(60).map((mid, i) => [mid, bodyOf(60 + i)]), 'subscribe: the rest, in order')
  await client.request({ op: 'unsubscribe', sub: sub.sub })
})

t.test('bodies on disk survive compaction of their segment, a dead-letter move, a redrive and a restart', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  await first.client.request({ op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'work.dead' })
  const mids = await publishAll(first.client, 'work', 40)
  // Every one of them dies once: the dead-letter queue fills, deeper than it keeps bodies for.
  const got = await first.client.request({ op: 'receive', queue: 'work', max: 40 })
  t.equal(got.messages.length, 40)
  for (const m of got.messages) await first.client.request({ op: 'nack', receipt: m.receipt })
  // Churn elsewhere until the first segment, which holds the first bodies, is compacted away.
  for (let round = 0; round < 300 && segmentFiles(dir.path).includes('0000000000000001.log'); round++) {
    await first.client.request({ op: 'publish', queue: 'churn', messages: Array.from({ length: 10 }, () => ({ body: 'c'.repeat(300) })) })
    const churn = await first.client.request({ op: 'receive', queue: 'churn', max: 10 })
    await first.client.request({ op: 'ack', receipts: churn.messages.map((m: Frame) => m.receipt) })
  }
  t.notOk(segmentFiles(dir.path).includes('0000000000000001.log'), 'the first segment was compacted away')
  // Deep behind the dead letters: new ones join the queue's backlog, on disk only. (Published
  // before the churn, they would pin the first segment: compaction never rewrites a backlog.)
  const more = await publishAll(first.client, 'work.dead', 40, 40)
  t.ok(onDisk(first.store, 'work.dead') >= 40, 'the later ones in the dead-letter queue keep their bodies on disk')
  const dead = await first.client.request({ op: 'peek', queue: 'work.dead', max: 100 })
  t.same(dead.messages.map((m: Frame) => [m.mid, m.body]), [...mids, ...more].map((mid, i) => [mid, bodyOf(i)]), 'all of them, whole, after compaction')
  const redriven = await first.client.request({ op: 'redrive', queue: 'work.dead' })
  t.equal(redriven.moved, 40, 'the dead letters go back to work')
  await first.stop()

  const second = await brokerOn(dir.path)
  t.teardown(() => second.stop())
  t.equal(onDisk(second.store, 'work'), 40 - IN_MEMORY, 'replayed, the deep ones keep their bodies on disk again')
  const back = await second.client.request({ op: 'receive', queue: 'work', max: 100 })
  t.same(back.messages.map((m: Frame) => [m.mid, m.body]), mids.map((mid, i) => [mid, bodyOf(i)]), 'after a restart, back in work, whole')
  const rest = await second.client.request({ op: 'receive', queue: 'work.dead', max: 100 })
  t.same(rest.messages.map((m: Frame) => [m.mid, m.body]), more.map((mid, i) => [mid, bodyOf(40 + i)]), 'and the others still in the dead-letter queue')
})

t.test('a body that cannot be read is not lost: the message waits at the front until it can be', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  let broken = false
  const fs: LogFs = {
    ...nodeFs,
    readAt: (fd, into, length, position) => {
      if (broken) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })
      return (nodeFs.readAt as NonNullable<LogFs['readAt']>)(fd, into, length, position)
    },
  }
  const { store, client, stop } = await brokerOn(dir.path, fs)
  t.teardown(stop)
  const mids = await publishAll(client, 'q', 12)
  broken = true
  const first = await client.request({ op: 'receive', queue: 'q', max: 10 })
  t.same(first.messages.map((m: Frame) => m.mid), mids.slice(0, IN_MEMORY), 'the ones with bodies in memory go out')
  const none = await client.request({ op: 'receive', queue: 'q', max: 10 })
  t.same(none.messages, [], 'none of the others while their bodies cannot be read')
  const peek = await client.request({ op: 'peek', queue: 'q', max: 10 })
  t.equal(peek.error?.code, 'unavailable', 'peek says why')
  t.equal(store.queues.get('q')?.stats().ready, 12 - IN_MEMORY, 'every one still ready')
  broken = false
  const rest = await client.request({ op: 'receive', queue: 'q', max: 10 })
  t.same(rest.messages.map((m: Frame) => [m.mid, m.body]), mids.slice(IN_MEMORY).map((mid, i) => [mid, bodyOf(IN_MEMORY + i)]),
    'readable again, they go out in order')
})
