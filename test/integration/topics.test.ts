// topic / bind / unbind and fan-out with SNS-style filters (PROTOCOL.md §4.11, §4.12, §6).
import t from 'tap'
import { fixture, ok, type Frame } from './fixture.js'

t.test('a topic fans a publish out to every bound queue whose filter matches', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  t.same(await c.request({ op: 'topic', id: 1, topic: 'orders' }), { id: 1, ok: true, topic: 'orders', created: true })
  t.same(await c.request({ op: 'topic', id: 2, topic: 'orders' }), { id: 2, ok: true, topic: 'orders', created: false })
  t.same(await c.request({ op: 'bind', id: 3, topic: 'orders', queue: 'all' }), { id: 3, ok: true })
  await ok(c, { op: 'bind', topic: 'orders', queue: 'eu', filter: { region: ['eu', 'uk'] } })
  t.equal((await ok(c, { op: 'declare', queue: 'eu' })).created, false, 'bind declared the queue')
  const { mid } = await ok(c, { op: 'publish', topic: 'orders', body: { n: 1 }, attrs: { region: 'us' } })
  await ok(c, { op: 'publish', topic: 'orders', body: { n: 2 }, attrs: { region: 'uk' } })
  await ok(c, { op: 'publish', topic: 'orders', body: { n: 3 } })
  const all = (await ok(c, { op: 'receive', queue: 'all', max: 10 })).messages as Frame[]
  const eu = (await ok(c, { op: 'receive', queue: 'eu', max: 10 })).messages as Frame[]
  t.same(all.map((m) => m.body.n), [1, 2, 3])
  t.same(eu.map((m) => m.body.n), [2], 'only the matching attrs; no attrs never match a filter')
  t.equal(all[0]?.mid, mid, 'every copy of a publish has its mid')
  t.equal(all[1]?.mid, eu[0]?.mid)
  t.equal(eu[0]?.queue, 'eu')
  t.same(eu[0]?.attrs, { region: 'uk' })

  t.same(await c.request({ op: 'unbind', id: 4, topic: 'orders', queue: 'all' }), { id: 4, ok: true })
  await ok(c, { op: 'publish', topic: 'orders', body: { n: 4 }, attrs: { region: 'eu' } })
  t.same((await ok(c, { op: 'receive', queue: 'all' })).messages, [], 'unbound')
  t.equal((await ok(c, { op: 'receive', queue: 'eu' })).messages[0]?.body.n, 4)
  const nobody = await ok(c, { op: 'publish', topic: 'orders', body: 5, attrs: { region: 'us' } })
  t.type(nobody.mid, 'string', 'a publish no queue takes still gets a mid')
})

t.test('bind needs the topic; a dropped queue leaves its bindings', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  t.equal((await c.request({ op: 'bind', topic: 'nope', queue: 'q' })).error?.code, 'not_found')
  await ok(c, { op: 'topic', topic: 'tp' })
  await ok(c, { op: 'bind', topic: 'tp', queue: 'q' })
  await ok(c, { op: 'drop', queue: 'q' })
  t.same((await ok(c, { op: 'stats' })).topics, [{ topic: 'tp', bindings: [] }])
})

t.test('a filter on an attribute named __proto__ is a filter like any other', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'topic', topic: 'tp' })
  await ok(c, JSON.parse('{"op":"bind","topic":"tp","queue":"odd","filter":{"__proto__":["yes"]}}') as Frame)
  await ok(c, { op: 'publish', topic: 'tp', body: 'no attrs' })
  await ok(c, JSON.parse('{"op":"publish","topic":"tp","body":"no","attrs":{"__proto__":"no"}}') as Frame)
  await ok(c, JSON.parse('{"op":"publish","topic":"tp","body":"yes","attrs":{"__proto__":"yes"}}') as Frame)
  t.same((await ok(c, { op: 'receive', queue: 'odd', max: 10 })).messages.map((m: Frame) => m.body), ['yes'])
  t.equal(JSON.stringify((await ok(c, { op: 'stats' })).topics), '[{"topic":"tp","bindings":[{"queue":"odd","filter":{"__proto__":["yes"]}}]}]')
})

t.test('a topic publish waits out each bound queue default delay; its own delay wins', async (t) => {
  const f = await fixture(t)
  const c = await f.connect()
  await ok(c, { op: 'topic', topic: 'tp' })
  await ok(c, { op: 'declare', queue: 'slow', delay: 3 })
  await ok(c, { op: 'bind', topic: 'tp', queue: 'slow' })
  await ok(c, { op: 'bind', topic: 'tp', queue: 'fast' })
  await ok(c, { op: 'publish', topic: 'tp', body: 'default' })
  await ok(c, { op: 'publish', topic: 'tp', body: 'explicit', delay: 0 })
  t.same((await ok(c, { op: 'receive', queue: 'fast', max: 10 })).messages.map((m: Frame) => m.body), ['default', 'explicit'])
  t.same((await ok(c, { op: 'receive', queue: 'slow', max: 10 })).messages.map((m: Frame) => m.body), ['explicit'])
  f.clock.advance(3_000)
  t.same((await ok(c, { op: 'receive', queue: 'slow', max: 10 })).messages.map((m: Frame) => m.body), ['default'])
})
