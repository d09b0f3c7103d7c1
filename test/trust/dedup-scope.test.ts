// A dedupId counts per queue (PROTOCOL.md §6.10): one seen on one fifo queue makes only that
// queue's copy of a topic publish a duplicate; the other bound queues get theirs.
import t from 'tap'
import { fixture, ok } from '../integration/fixture.js'
import type { Frame } from '../helpers/broker.js'

t.test('a dedupId seen on one fifo queue does not swallow the other copies of a topic publish', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'declare', queue: 'F1', fifo: true })
  await ok(c, { op: 'declare', queue: 'F2', fifo: true })
  await ok(c, { op: 'topic', topic: 'T' })
  await ok(c, { op: 'bind', topic: 'T', queue: 'F1' })
  await ok(c, { op: 'bind', topic: 'T', queue: 'F2' })
  await ok(c, { op: 'bind', topic: 'T', queue: 'S' })
  const first = await ok(c, { op: 'publish', queue: 'F1', body: 'direct', group: 'g', dedupId: 'd' })
  const fanned = await ok(c, { op: 'publish', topic: 'T', body: 'fanned', group: 'g', dedupId: 'd' })
  t.not(fanned.mid, first.mid, 'the fan-out is a new message: it reached queues that had not seen d')
  const bodies = async (queue: string): Promise<unknown[]> =>
    ((await ok(c, { op: 'peek', queue, max: 10 })).messages as Frame[]).map((m) => m.body)
  t.same(await bodies('F1'), ['direct'], 'F1 already saw d: its copy is the duplicate')
  t.same(await bodies('F2'), ['fanned'], 'F2 gets its copy')
  t.same(await bodies('S'), ['fanned'], 'the standard queue gets its copy')

  await ok(c, { op: 'publish', topic: 'T', body: 'again', group: 'g', dedupId: 'd' })
  t.same(await bodies('F1'), ['direct'], 'no second copy in F1')
  t.same(await bodies('F2'), ['fanned'], 'no second copy in F2: it has seen d now')
  t.same(await bodies('S'), ['fanned', 'again'], 'a standard queue keeps no dedup window')

  await ok(c, { op: 'unbind', topic: 'T', queue: 'S' })
  const duplicate = await ok(c, { op: 'publish', topic: 'T', body: 'dup', group: 'g', dedupId: 'd' })
  t.ok([first.mid, fanned.mid].includes(duplicate.mid), 'every bound queue saw d: a mid of the first sighting comes back')
  t.same(await bodies('F2'), ['fanned'], 'and nothing is stored')
})
