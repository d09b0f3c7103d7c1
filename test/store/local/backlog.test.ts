// A standard queue deeper than --bodies-in-memory keeps the rest as its backlog: a range of the
// log, not an object per message (backlog.ts). Over real TCP: every message is delivered once and
// in order, through read-ahead, a SIGTERM restart and a kill -9 restart (with some acked and some
// in flight before, and a purge); stats, peek and retention count and show the backlog.
import t, { type Test } from 'tap'
import { ManualClock } from '../../../shared/clock.js'
import { drain, openWithClient, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { spawnBroker } from '../../crash/child-broker.js'

const HIGH = 50
const SEGMENT = 16 * 1024

async function inProcess(t: Test, dir: string, clock?: ManualClock) {
  const store = new LocalStore({
    journal: new LogJournal({ dir, segmentBytes: SEGMENT }), bodiesInMemory: HIGH, ...(clock ? { clock } : {}),
  })
  const { c, stop } = await openWithClient(t, { store })
  return { store, c, stop }
}

/** Publishes `n` messages to `queue` in batches of `batch`; their mids in publish order. */
async function publish(c: TestClient, queue: string, n: number, from = 0, batch = 100): Promise<string[]> {
  const mids: string[] = []
  for (let i = from; i < from + n; i += batch) {
    const count = Math.min(batch, from + n - i)
    const reply = await c.request({ op: 'publish', queue, messages: Array.from({ length: count }, (_, k) => ({ body: { i: i + k } })) })
    mids.push(...(reply.mids as string[]))
  }
  return mids
}

async function ready(c: TestClient, queue: string): Promise<number> {
  return (await c.request({ op: 'stats', queue })).queues[0].ready as number
}

t.test('a deep queue holds about its high-water mark as objects and delivers every message once, in order', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const { store, c } = await inProcess(t, dir.path)
  const mids = await publish(c, 'q', 1000, 0, 25)
  const queue = store.queues.get('q')
  const objects = (): number => [...(queue?.held() ?? [])].length
  // The first two batches of 25 find the queue below the mark; every later one joins the backlog.
  t.equal(objects(), HIGH, `${HIGH} objects held for 1000 ready messages`)
  t.equal(queue?.backlog.size, 1000 - objects(), 'the rest are in the backlog')
  t.equal(await ready(c, 'q'), 1000, 'stats counts the backlog as ready')
  const peeked = (await c.request({ op: 'peek', queue: 'q', max: 100 })).messages as Frame[]
  t.same(peeked.map((m) => m.mid), mids.slice(0, 100), 'peek shows the objects, then the front of the backlog')
  t.same(peeked.map((m) => m.body), mids.slice(0, 100).map((_, i) => ({ i })), 'with their bodies')
  t.equal(await ready(c, 'q'), 1000, 'peek takes nothing from the backlog')
  let most = 0
  const got = await drain(c, 'q', () => (most = Math.max(most, objects())))
  t.same(got, mids, 'every message once, in publish order')
  t.ok(most <= 2 * HIGH + 100, `at most ${most} objects while draining`)
  t.equal(await ready(c, 'q'), 0)
})

t.test('retention expires the backlog\'s front, and the read-ahead keeps the order behind it', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const clock = new ManualClock()
  const { store, c } = await inProcess(t, dir.path, clock)
  await c.request({ op: 'declare', queue: 'q', retention: 10 })
  await publish(c, 'q', 300)
  clock.advance(5000)
  const young = await publish(c, 'q', 200, 300)
  t.ok((store.queues.get('q')?.backlog.size ?? 0) >= 400, 'most of them in the backlog')
  clock.advance(6000)
  t.equal(await ready(c, 'q'), 200, 'the first 300 are past their retention, backlog and all')
  const peeked = (await c.request({ op: 'peek', queue: 'q', max: 5 })).messages as Frame[]
  t.same(peeked.map((m) => m.mid), young.slice(0, 5), 'peek starts at the first young one')
  t.same(await drain(c, 'q'), young, 'the young ones, in order')
})

t.test('a purge empties the backlog: stats, peek and receive agree', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const { c } = await inProcess(t, dir.path)
  await publish(c, 'q', 500)
  t.equal((await c.request({ op: 'purge', queue: 'q' })).purged, 500, 'every message counted, the backlog too')
  t.equal(await ready(c, 'q'), 0)
  t.same((await c.request({ op: 'peek', queue: 'q', max: 10 })).messages, [])
  const after = await publish(c, 'q', 300)
  t.same(await drain(c, 'q'), after, 'what is published after the purge, in order, and nothing from before')
})

for (const how of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`a deep queue across a ${how} restart: every message not acked once, in order; the purge holds`, async (t) => {
    const dir = tempDir()
    t.teardown(() => dir.remove())
    const args = ['--bodies-in-memory', String(HIGH)]
    const first = await spawnBroker(dir.path, args)
    let c = await TestClient.connect(first.port)
    await c.request({ op: 'declare', queue: 'q', visibilityTimeout: 600 })
    const mids = await publish(c, 'q', 600)
    await publish(c, 'p', 300)
    const got = (await c.request({ op: 'receive', queue: 'q', max: 100 })).messages as Frame[]
    t.same(got.map((m) => m.mid), mids.slice(0, 100), 'the first hundred, read ahead past the first objects')
    await c.request({ op: 'ack', receipts: got.slice(0, 70).map((m) => m.receipt) })
    t.equal((await c.request({ op: 'purge', queue: 'p' })).purged, 300)
    // A confirmed op after the acks: its fsync covers them (acks alone are synced within 200 ms).
    await c.request({ op: 'declare', queue: 'sync' })
    await c.close()
    first.child.kill(how)
    await first.exited

    const second = await spawnBroker(dir.path, args)
    c = await TestClient.connect(second.port)
    t.equal(await ready(c, 'q'), 530, 'the 30 in flight are released, the rest still ready')
    t.equal(await ready(c, 'p'), 0, 'the purged queue stays empty')
    // Half now, the rest after one more restart: the read-ahead of this run is replayed too.
    const part = (await c.request({ op: 'receive', queue: 'q', max: 100 })).messages as Frame[]
    const part2 = (await c.request({ op: 'receive', queue: 'q', max: 100 })).messages as Frame[]
    const firstPart = [...part, ...part2]
    t.same(firstPart.map((m) => m.mid), mids.slice(70, 270), 'in publish order after the restart')
    await c.request({ op: 'ack', receipts: firstPart.map((m) => m.receipt) })
    await c.request({ op: 'declare', queue: 'sync' })
    await c.close()
    second.child.kill(how)
    await second.exited

    const third = await spawnBroker(dir.path, args)
    t.teardown(async () => {
      third.child.kill('SIGTERM')
      await third.exited
    })
    c = await TestClient.connect(third.port)
    t.equal(await ready(c, 'q'), 330)
    t.same(await drain(c, 'q'), mids.slice(270), 'the rest, once each, in order')
    await c.close()
  })
}

t.test('a topic fans out into a deep queue\'s backlog and a shallow queue\'s objects alike, in order, across a restart', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await inProcess(t, dir.path)
  await first.c.request({ op: 'topic', topic: 'news' })
  await first.c.request({ op: 'bind', topic: 'news', queue: 'deep' })
  await first.c.request({ op: 'bind', topic: 'news', queue: 'shallow' })
  const early = await publish(first.c, 'deep', 200)
  const fanned: string[] = []
  for (let i = 0; i < 3; i++) {
    const reply = await first.c.request({ op: 'publish', topic: 'news', messages: Array.from({ length: 20 }, (_, k) => ({ body: { i: i * 20 + k } })) })
    fanned.push(...(reply.mids as string[]))
  }
  t.ok((first.store.queues.get('deep')?.backlog.size ?? 0) >= 60, 'the deep queue takes the fan-out into its backlog')
  t.equal(first.store.queues.get('shallow')?.backlog.size, 0, 'the shallow one holds objects')
  await first.stop()
  const second = await inProcess(t, dir.path)
  t.same(await drain(second.c, 'deep'), [...early, ...fanned], 'the deep queue: its own, then the fan-out, once each')
  t.same(await drain(second.c, 'shallow'), fanned, 'the shallow queue: the fan-out')
})
