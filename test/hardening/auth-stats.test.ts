// stats with auth over real TCP (PROTOCOL.md §7.3): a token with admin on some names sees the
// topics it has admin on, and in each only the bindings to queues it has admin on.
import t from 'tap'
import { TestClient, type Frame } from '../helpers/broker.js'
import { authFrom, startHardened } from './helpers.js'

const ADMIN = 'admin-secret-token-1'
const TEAM = 'team-secret-token-2'
const FILE = {
  tokens: [
    { name: 'ops', token: ADMIN, admin: ['*'], publish: ['*'], consume: ['*'] },
    { name: 'team', token: TEAM, admin: ['team.*'], deny: { admin: ['team.hidden'] } },
  ],
}

t.test('stats shows a narrower admin only the topics and bindings it has admin on', async (t) => {
  const b = await startHardened({ auth: authFrom(FILE) })
  t.teardown(() => b.stop())
  const admin = await TestClient.connect(b.port)
  t.teardown(() => admin.close())
  await admin.request({ op: 'hello', token: ADMIN })
  for (const topic of ['team.events', 'other.events', 'team.hidden']) t.match(await admin.request({ op: 'topic', topic }), { ok: true })
  const binds: [string, string, Frame?][] = [
    ['team.events', 'team.a', { region: ['eu'] }], ['team.events', 'other.b'], ['team.events', 'team.hidden'], ['team.events', 'team.c'],
    ['other.events', 'team.a'], ['team.hidden', 'team.a'],
  ]
  for (const [topic, queue, filter] of binds) t.match(await admin.request({ op: 'bind', topic, queue, ...(filter ? { filter } : {}) }), { ok: true })

  const team = await TestClient.connect(b.port)
  t.teardown(() => team.close())
  await team.request({ op: 'hello', token: TEAM })
  const seen = await team.request({ op: 'stats', id: 1, queue: 'team.a' })
  t.match(seen, { id: 1, ok: true })
  t.same(seen.queues.map((q: Frame) => q.queue), ['team.a'])
  t.same(seen.topics, [{ topic: 'team.events', bindings: [{ queue: 'team.a', filter: { region: ['eu'] } }, { queue: 'team.c' }] }])
  // Still refused: stats of a queue outside its names, and of every queue.
  t.match(await team.request({ op: 'stats', id: 2, queue: 'other.b' }), { id: 2, ok: false, error: { code: 'forbidden' } })
  t.match(await team.request({ op: 'stats', id: 3 }), { id: 3, ok: false, error: { code: 'forbidden' } })
  // The admin on every name sees everything.
  const all = await admin.request({ op: 'stats', id: 4 })
  t.same(all.topics.map((x: Frame) => [x.topic, x.bindings.length]), [['other.events', 1], ['team.events', 4], ['team.hidden', 1]])
})
