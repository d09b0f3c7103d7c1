// A restart on the same folder rebuilds the store: acked messages stay acked, unacked ones come
// back with their receive counts, declared queues keep their settings.
import t from 'tap'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { segmentFiles } from './fixture.js'

async function brokerOn(dir: string, segmentBytes?: number) {
  const store = new LocalStore({ journal: new LogJournal({ dir, ...(segmentBytes ? { segmentBytes } : {}) }) })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  return { store, b, client, stop: async () => { await client.close(); await b.stop() } }
}

t.test('acked messages are not redelivered after a restart; unacked ones are, receive counts kept', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  const declared = await first.client.request({ op: 'declare', queue: 'jobs', visibilityTimeout: 77, maxReceives: 9 })
  t.equal(declared.created, true)
  const published = await first.client.request({ op: 'publish', queue: 'jobs', messages: [1, 2, 3, 4, 5].map((n) => ({ body: { n } })) })
  const mids: string[] = published.mids
  const got = await first.client.request({ op: 'receive', queue: 'jobs', max: 3 })
  t.same(got.messages.map((m: Frame) => m.mid), mids.slice(0, 3))
  t.same((await first.client.request({ op: 'ack', receipt: got.messages[0].receipt })).acked, 1)
  // The second one is nacked and received again: two receives before the restart.
  await first.client.request({ op: 'nack', receipt: got.messages[1].receipt })
  const again = await first.client.request({ op: 'receive', queue: 'jobs', max: 1 })
  t.equal(again.messages[0].mid, mids[1])
  t.equal(again.messages[0].receives, 2)
  await first.stop()

  const second = await brokerOn(dir.path)
  t.teardown(() => second.stop())
  t.same(second.store.queues.get('jobs')?.config.visibilityTimeout, 77, 'the queue keeps its settings')
  t.same(second.store.queues.get('jobs')?.config.maxReceives, 9)
  const after = await second.client.request({ op: 'receive', queue: 'jobs', max: 10 })
  const byMid = new Map(after.messages.map((m: Frame) => [m.mid, m]))
  t.equal(after.messages.length, 4, 'everything but the acked message')
  t.notOk(byMid.has(mids[0]), 'the acked message is gone')
  t.equal((byMid.get(mids[1]) as Frame)?.receives, 3, 'received twice before, so this is the third')
  t.equal((byMid.get(mids[2]) as Frame)?.receives, 2, 'in flight at the restart: visible again, count kept')
  t.equal((byMid.get(mids[3]) as Frame)?.receives, 1)
  t.same((byMid.get(mids[4]) as Frame)?.body, { n: 5 }, 'bodies come back as published')
})

t.test('topics, bindings and purges survive a restart', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await brokerOn(dir.path)
  await first.client.request({ op: 'topic', topic: 'events' })
  await first.client.request({ op: 'bind', topic: 'events', queue: 'a' })
  await first.client.request({ op: 'bind', topic: 'events', queue: 'b', filter: { kind: ['x'] } })
  await first.client.request({ op: 'publish', queue: 'b', body: 'purged' })
  t.equal((await first.client.request({ op: 'purge', queue: 'b' })).purged, 1)
  await first.stop()
  const second = await brokerOn(dir.path)
  t.teardown(() => second.stop())
  const pub = await second.client.request({ op: 'publish', topic: 'events', body: 'hello', attrs: { kind: 'x' } })
  t.equal(pub.ok, true)
  const a = await second.client.request({ op: 'receive', queue: 'a', max: 10 })
  const b = await second.client.request({ op: 'receive', queue: 'b', max: 10 })
  t.same(a.messages.map((m: Frame) => m.body), ['hello'])
  t.same(b.messages.map((m: Frame) => m.body), ['hello'], 'the purged message stays purged; the filter is kept')
})

t.test('stats lists queues, topics and bindings by name, the same before and after a restart', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  // Small segments, so the first (which names 'zeta' first) is deleted and its declare written
  // again after the others: replayed in log order, 'zeta' would come back last.
  const first = await brokerOn(dir.path, 16 * 1024)
  const names = ['zeta', 'alpha', 'Mixed', 'beta.dead', 'beta', 'a-b', 'a_b']
  for (const queue of names) await first.client.request({ op: 'declare', queue })
  for (const topic of ['t-zulu', 't-alpha']) await first.client.request({ op: 'topic', topic })
  for (const queue of ['zeta', 'alpha', 'beta']) await first.client.request({ op: 'bind', topic: 't-zulu', queue })
  const queueNames = async (client: TestClient): Promise<string[]> =>
    (await client.request({ op: 'stats' })).queues.map((q: Frame) => q.queue)
  const topicNames = async (client: TestClient): Promise<string[][]> =>
    (await client.request({ op: 'stats' })).topics.map((topic: Frame) => [topic.topic, ...topic.bindings.map((b: Frame) => b.queue)])
  const body = 'y'.repeat(200)
  for (let round = 0; round < 200 && segmentFiles(dir.path).includes('0000000000000001.log'); round++) {
    await first.client.request({ op: 'publish', queue: 'churn', messages: Array.from({ length: 10 }, () => ({ body })) })
    const got = await first.client.request({ op: 'receive', queue: 'churn', max: 10 })
    await first.client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
  }
  t.notOk(segmentFiles(dir.path).includes('0000000000000001.log'), 'the first segment is gone')
  const before = await queueNames(first.client)
  t.same(before, [...names, 'churn'].sort(), 'sorted by name (code-unit order), not by creation')
  const topicsBefore = await topicNames(first.client)
  t.same(topicsBefore, [['t-alpha'], ['t-zulu', 'alpha', 'beta', 'zeta']], 'topics and their bindings by name')
  await first.stop()

  const second = await brokerOn(dir.path, 16 * 1024)
  t.teardown(() => second.stop())
  t.same(await queueNames(second.client), before, 'the same order after the restart')
  t.same(await topicNames(second.client), topicsBefore, 'topics and bindings in the same order after the restart')
})

t.test('one broker per data folder: a live owner refuses a second, a dead one is taken over', async (t) => {
  const { writeFileSync } = await import('node:fs')
  const { spawnSync } = await import('node:child_process')
  const { join } = await import('node:path')
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const lock = join(dir.path, 'LOCK')
  writeFileSync(lock, `${process.ppid}\n`)
  const refused = new LocalStore({ journal: new LogJournal({ dir: dir.path }) })
  await t.rejects(refused.open(), { message: new RegExp(`in use by another hubq broker \\(pid ${process.ppid}\\)`) })
  const dead = spawnSync(process.execPath, ['-e', '0']).pid as number
  writeFileSync(lock, `${dead}\n`)
  const taken = new LocalStore({ journal: new LogJournal({ dir: dir.path }) })
  await taken.open()
  await taken.close()
})
