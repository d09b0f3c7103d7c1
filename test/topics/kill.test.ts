// A fan-out is one log record: after kill -9 every confirmed publish is in every matching bound
// queue, and any publish is in all of its matching queues or none. Runs the compiled broker
// (dist/), so `npx tsc -p .` (or `npm test`) must have built it.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { tempDir, TestClient, type Frame } from '../helpers/broker.js'

const BIN = fileURLToPath(new URL('../../dist/broker/bin.js', import.meta.url))

async function spawnBroker(data: string): Promise<{ child: ChildProcess; port: number; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--http-port', '0', '--data', data], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /hubq broker listening on (.+):(\d+)"/.exec(line)
      if (match) resolve(Number(match[2]))
    })
    child.once('exit', (code) => reject(new Error(`broker exited early with ${code}`)))
  })
  return { child, port, exited }
}

/** Takes every message out of a queue (long visibility, so nothing comes back) and returns the bodies. */
async function drain(c: TestClient, queue: string): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < 1000; i++) {
    const reply = await c.request({ op: 'receive', queue, max: 100, visibilityTimeout: 600 })
    const messages = reply.messages as Frame[]
    if (messages.length === 0) return out
    for (const m of messages) out.push(m.body as number)
  }
  throw new Error(`${queue} never emptied`)
}

const QUEUES: Record<string, (n: number) => boolean> = {
  everything: () => true,
  'also-everything': () => true,
  evens: (n) => n % 2 === 0,
  'small-odds': (n) => n % 2 === 1 && n % 10 < 5,
}

t.test('kill -9 during fan-out publishes: all or none, and every confirmed one everywhere', async (t) => {
  t.ok(existsSync(BIN), `${BIN} exists (build with npx tsc -p .)`)
  const data = tempDir()
  t.teardown(() => data.remove())
  const first = await spawnBroker(data.path)
  t.teardown(() => first.child.kill('SIGKILL'))
  const c = await TestClient.connect(first.port)
  await c.request({ op: 'topic', topic: 'numbers' })
  await c.request({ op: 'bind', topic: 'numbers', queue: 'everything' })
  await c.request({ op: 'bind', topic: 'numbers', queue: 'also-everything' })
  await c.request({ op: 'bind', topic: 'numbers', queue: 'evens', filter: { parity: ['even'] } })
  await c.request({ op: 'bind', topic: 'numbers', queue: 'small-odds', filter: { parity: ['odd'], digit: ['1', '3'] } })

  // A window of publishes in flight, refilled as confirmations come, until the broker dies.
  const total = 20_000
  const window = 64
  const killAt = 600
  let sent = 0
  const publish = (): void => {
    const n = sent++
    c.send({ op: 'publish', id: n, topic: 'numbers', body: n, attrs: { parity: n % 2 ? 'odd' : 'even', digit: String(n % 10) } })
  }
  while (sent < window) publish()
  const confirmed: number[] = []
  let refused = 0
  const closed = c.closed.then(() => undefined)
  for (;;) {
    const reply = await Promise.race([c.reply(), closed])
    if (!reply) break
    if (reply.ok) confirmed.push(reply.id as number)
    else refused++
    if (confirmed.length === killAt) first.child.kill('SIGKILL')
    if (sent < total) publish()
  }
  t.equal(refused, 0, 'no publish was refused')
  await first.exited
  t.ok(confirmed.length >= killAt, `${confirmed.length} of ${total} confirmed before the kill`)
  t.ok(confirmed.length < total, 'the kill came while publishes were still going')

  const second = await spawnBroker(data.path)
  t.teardown(() => second.child.kill('SIGKILL'))
  const d = await TestClient.connect(second.port)
  t.teardown(() => d.close())
  const stats = await d.request({ op: 'stats' })
  t.same(stats.topics, [{
    topic: 'numbers',
    // By queue name (PROTOCOL.md §4.16).
    bindings: [
      { queue: 'also-everything' }, { queue: 'evens', filter: { parity: ['even'] } },
      { queue: 'everything' }, { queue: 'small-odds', filter: { parity: ['odd'], digit: ['1', '3'] } },
    ],
  }], 'the topic and its bindings survived')

  const held = new Map<string, Set<number>>()
  for (const queue of Object.keys(QUEUES)) held.set(queue, new Set(await drain(d, queue)))
  const everything = held.get('everything') as Set<number>
  const maxStored = Math.max(-1, ...everything)
  let lost = 0
  let torn = 0
  let misrouted = 0
  for (const n of confirmed) if (!everything.has(n)) lost++
  for (let n = 0; n < total; n++) {
    const where = Object.entries(QUEUES).filter(([queue]) => held.get(queue)?.has(n)).map(([queue]) => queue)
    const matching = Object.entries(QUEUES).filter(([, matches]) => matches(n)).map(([queue]) => queue)
    if (where.length === 0) continue
    if (where.length !== matching.length) torn++
    if (where.some((queue) => !matching.includes(queue))) misrouted++
  }
  t.equal(lost, 0, 'every confirmed publish survived')
  t.equal(torn, 0, 'no publish reached only some of its queues')
  t.equal(misrouted, 0, 'no queue holds a message its filter refuses')
  t.ok(everything.size >= confirmed.length, `${everything.size} stored, ${confirmed.length} confirmed, highest ${maxStored}`)
  for (const [queue, bodies] of held) t.equal(bodies.size, [...bodies].length, `${queue}: no duplicates`)
})
