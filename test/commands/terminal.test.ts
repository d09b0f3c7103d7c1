// The client commands on a terminal (`script` gives them one): what a person sees.
import t from 'tap'
import { startBroker, TestClient } from '../helpers/broker.js'
import { render, underTerminal } from '../helpers/terminal.js'

const HUBQ = 'node dist/broker/bin.js'
const MID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('produce on a terminal: every mid on a line of its own, the progress line below them', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  // Lines arrive slower than the progress line redraws (every 250 ms), as when a person types them.
  const run = await underTerminal(`(echo one; sleep 0.6; echo two; sleep 0.6; echo three) | ${HUBQ} produce --queue jobs --url hubq://127.0.0.1:${b.port}`)
  t.equal(run.code, 0)
  const screen = render(run.output)
  t.equal(screen.length, 4, JSON.stringify(screen))
  for (const line of screen.slice(0, 3)) t.match(line, MID, 'a mid alone on its line')
  t.match(screen[3], /^3 published, \d+\/s$/, 'the progress line last')
})

t.test('stats on a terminal: a table with redelivered, the topics with their bindings', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'topic', topic: 'orders' })
  await c.request({ op: 'bind', topic: 'orders', queue: 'orders.eu', filter: { region: ['eu', 'uk'] } })
  await c.request({ op: 'bind', topic: 'orders', queue: 'orders.all' })
  await c.request({ op: 'topic', topic: 'idle' })
  await c.request({ op: 'publish', topic: 'orders', body: 1, attrs: { region: 'eu' } })
  const run = await underTerminal(`${HUBQ} stats --url hubq://127.0.0.1:${b.port}`)
  t.equal(run.code, 0)
  const screen = render(run.output)
  t.same(screen.slice(0, 3), [
    'queue       ready  inflight  delayed  published  acked  redelivered  deadLettered',
    'orders.all      1         0        0          1      0            0             0',
    'orders.eu       1         0        0          1      0            0             0',
  ])
  t.same(screen.slice(4, 7), [
    'topic   bindings',
    'idle    (none)',
    'orders  orders.all; orders.eu where region in eu,uk',
  ])
  t.match(screen[8], /^connections 2, uptime \d+ s$/)
})

t.test('stats --watch on a terminal redraws in place with publish and ack rates', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'declare', queue: 'jobs' })
  let published = false
  let withRate: string | undefined
  const run = await underTerminal(`${HUBQ} stats --watch --interval 0.2 --url hubq://127.0.0.1:${b.port}`, {}, (output) => {
    // After the first table, publish 4; stop once a refresh shows them with a rate.
    if (!published && output.includes('jobs')) {
      published = true
      void c.request({ op: 'publish', queue: 'jobs', messages: [{ body: 1 }, { body: 2 }, { body: 3 }, { body: 4 }] })
    }
    withRate ??= render(output).find((l) => /^jobs\s+4\s.*\s\d+\.\d\s+0\.0$/.test(l) && !/\s0\.0\s+0\.0$/.test(l))
    return withRate !== undefined
  })
  t.equal(run.code, 0)
  t.notOk(run.output.includes('\x1b[2J'), 'never clears the whole screen')
  const screen = render(run.output)
  t.equal(screen.filter((l) => l.startsWith('queue ')).length, 1, `one table on the screen, redrawn in place: ${JSON.stringify(screen)}`)
  t.match(screen.find((l) => l.startsWith('queue ')), /pub\/s\s+ack\/s$/)
  t.ok(withRate, `a refresh showed a publish rate above zero and no acks: ${withRate}`)
})

t.test('drop on a terminal asks first: no keeps the queue, yes drops it', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: 1 }, { body: 2 }] })
  const drop = `${HUBQ} drop jobs --url hubq://127.0.0.1:${b.port}`
  const kept = await underTerminal(drop, {}, undefined, { when: /\? \[y\/N\] /, type: 'n\r' })
  t.equal(kept.code, 1)
  t.match(render(kept.output), ['drop queue jobs and its 2 messages? [y/N] n', 'hubq drop: jobs kept'])
  t.match((await c.request({ op: 'stats', queue: 'jobs' })).queues, [{ queue: 'jobs', ready: 2 }])
  const dropped = await underTerminal(drop, {}, undefined, { when: /\? \[y\/N\] /, type: 'y\r' })
  t.equal(dropped.code, 0)
  t.match(render(dropped.output), ['drop queue jobs and its 2 messages? [y/N] y', 'queue jobs dropped'])
  t.match((await c.request({ op: 'stats', queue: 'jobs' })).error, { code: 'not_found' })
})
