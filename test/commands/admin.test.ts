// The admin commands end to end: the built CLI (dist/) against a real broker, through a shell.
// stdout is a pipe here, so every command prints JSON; a terminal is covered in terminal.test.ts.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { startBroker, TestClient } from '../helpers/broker.js'

const HUBQ = 'node dist/broker/bin.js'

function sh(command: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

async function brokerEnv(t: Test): Promise<{ env: Record<string, string>; c: TestClient }> {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  return { env: { HUBQ_URL: `hubq://127.0.0.1:${b.port}` }, c }
}

t.test('declare, topic, bind --filter, produce --topic, unbind: the topic tour without raw JSON', async (t) => {
  const { env, c } = await brokerEnv(t)
  const declared = await sh(`${HUBQ} declare work --visibility-timeout 60 --max-receives 3 --dead-letter work.dead --delay 0 --retention 3600`, env)
  t.equal(declared.code, 0, declared.stderr)
  t.same(JSON.parse(declared.stdout), { queue: 'work', created: true })
  t.same(JSON.parse((await sh(`${HUBQ} declare work --visibility-timeout 90`, env)).stdout), { queue: 'work', created: false })
  const fifo = await sh(`${HUBQ} declare jobs.fifo --fifo`, env)
  t.same(JSON.parse(fifo.stdout), { queue: 'jobs.fifo', created: true })
  const change = await sh(`${HUBQ} declare jobs.fifo`, env)
  t.equal(change.code, 0, 'settings left out keep theirs, fifo included')

  t.same(JSON.parse((await sh(`${HUBQ} topic orders`, env)).stdout), { topic: 'orders', created: true })
  const bound = await sh(`${HUBQ} bind orders orders.eu --filter region=eu,uk --filter tier=gold`, env)
  t.equal(bound.code, 0, bound.stderr)
  t.same(JSON.parse(bound.stdout), { topic: 'orders', queue: 'orders.eu', filter: { region: ['eu', 'uk'], tier: ['gold'] } })
  t.equal((await sh(`${HUBQ} bind orders orders.all`, env)).code, 0)
  const published = await sh(`${HUBQ} produce --topic orders --body '{"order":1}' --attr region=uk --attr tier=gold`, env)
  t.equal(published.code, 0, published.stderr)
  const stats = await c.request({ op: 'stats' })
  t.match(stats.topics, [{ topic: 'orders', bindings: [{ queue: 'orders.all' }, { queue: 'orders.eu', filter: { region: ['eu', 'uk'], tier: ['gold'] } }] }])
  t.match(stats.queues.find((q: { queue: string }) => q.queue === 'orders.eu'), { ready: 1 })
  t.same(JSON.parse((await sh(`${HUBQ} unbind orders orders.all`, env)).stdout), { topic: 'orders', queue: 'orders.all' })
  t.match((await c.request({ op: 'stats' })).topics, [{ topic: 'orders', bindings: [{ queue: 'orders.eu' }] }])
})

t.test('peek prints one JSON line per message in the state asked for, and changes nothing', async (t) => {
  const { env, c } = await brokerEnv(t)
  await c.request({ op: 'publish', queue: 'jobs', body: 'first', attrs: { k: 'v' } })
  await c.request({ op: 'publish', queue: 'jobs', body: { n: 2 } })
  await c.request({ op: 'publish', queue: 'jobs', body: 'later', delay: 600 })
  const ready = await sh(`${HUBQ} peek jobs`, env)
  t.equal(ready.code, 0, ready.stderr)
  const lines = ready.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(lines, [{ queue: 'jobs', body: 'first', attrs: { k: 'v' }, receives: 0, mid: String }, { body: { n: 2 } }])
  t.equal(lines.length, 2)
  t.notOk('receipt' in (lines[0] as object), 'a peek hands out no receipt')
  t.equal((await sh(`${HUBQ} peek jobs --max 1`, env)).stdout.trim().split('\n').length, 1)
  t.match(JSON.parse((await sh(`${HUBQ} peek jobs --state delayed`, env)).stdout), { body: 'later' })
  t.equal((await sh(`${HUBQ} peek jobs --state inflight`, env)).stdout, '', 'nothing in flight: no lines')
  t.match((await c.request({ op: 'stats', queue: 'jobs' })).queues[0], { ready: 2, inflight: 0, delayed: 1, redelivered: 0 })
  const bad = await sh(`${HUBQ} peek jobs --state gone`, env)
  t.equal(bad.code, 2)
  t.equal(bad.stderr, 'hubq peek: --state must be ready, inflight or delayed (got "gone") (see hubq peek --help)\n')
})

t.test('purge, redrive and drop --yes; drop without a terminal needs --yes', async (t) => {
  const { env, c } = await brokerEnv(t)
  await c.request({ op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'work.dead' })
  await c.request({ op: 'publish', queue: 'work', body: 'poison' })
  const [m] = (await c.request({ op: 'receive', queue: 'work' })).messages
  await c.request({ op: 'nack', receipt: m.receipt })
  const redriven = await sh(`${HUBQ} redrive work.dead`, env)
  t.equal(redriven.code, 0, redriven.stderr)
  t.same(JSON.parse(redriven.stdout), { queue: 'work.dead', moved: 1 })
  t.match((await c.request({ op: 'stats', queue: 'work' })).queues[0], { ready: 1 })
  t.same(JSON.parse((await sh(`${HUBQ} purge work`, env)).stdout), { queue: 'work', purged: 1 })

  const refused = await sh(`${HUBQ} drop work < /dev/null`, env)
  t.equal(refused.code, 2)
  t.equal(refused.stderr, 'hubq drop: drop needs --yes when stdin is not a terminal (see hubq drop --help)\n')
  t.match((await c.request({ op: 'stats', queue: 'work' })).queues, [{ queue: 'work' }], 'still there')
  t.same(JSON.parse((await sh(`${HUBQ} drop work --yes`, env)).stdout), { queue: 'work', dropped: true })
  t.match((await c.request({ op: 'stats', queue: 'work' })).error, { code: 'not_found' })
})

t.test('drop --topic removes a topic and its bindings, not the queues', async (t) => {
  const { env, c } = await brokerEnv(t)
  await c.request({ op: 'topic', topic: 'news' })
  await c.request({ op: 'bind', topic: 'news', queue: 'inbox' })
  const dropped = await sh(`${HUBQ} drop news --topic --yes`, env)
  t.equal(dropped.code, 0, dropped.stderr)
  t.same(JSON.parse(dropped.stdout), { topic: 'news', dropped: true })
  t.same((await c.request({ op: 'stats' })).topics, [], 'the topic is gone')
  t.match((await c.request({ op: 'stats', queue: 'inbox' })).queues, [{ queue: 'inbox' }], 'its queue stays')
  const again = await sh(`${HUBQ} drop news --topic --yes`, env)
  t.equal(again.code, 1)
  t.match(again.stderr, /^hubq drop: topic news does not exist \(not_found\)\n$/)
})

t.test("a refusal exits 1 with the wire error's message and code", async (t) => {
  const { env } = await brokerEnv(t)
  const cases: [string, RegExp][] = [
    ['purge nowhere', /^hubq purge: queue nowhere does not exist \(not_found\)\n$/],
    ['drop nowhere --yes', /^hubq drop: queue nowhere does not exist \(not_found\)\n$/],
    ['redrive nowhere', /^hubq redrive: .*nowhere.* \(not_found\)\n$/],
    ['peek nowhere', /^hubq peek: .*nowhere.* \(not_found\)\n$/],
    ['bind nope q', /^hubq bind: topic nope does not exist \(not_found\)\n$/],
    ['unbind nope q', /^hubq unbind: .*nope.* \(not_found\)\n$/],
    ['declare q --visibility-timeout 99999', /^hubq declare: .*visibilityTimeout.* \(bad_request\)\n$/],
    ['declare q --dead-letter q', /^hubq declare: .* \(bad_request\)\n$/],
    ['peek q --max 100000', /^hubq peek: .* \((not_found|limit)\)\n$/],
  ]
  for (const [args, stderr] of cases) {
    const run = await sh(`${HUBQ} ${args}`, env)
    t.equal(run.code, 1, args)
    t.match(run.stderr, stderr, args)
    t.equal(run.stdout, '', `${args}: nothing on stdout`)
  }
})

t.test('usage errors are one line and a pointer to --help; --help and --version', async (t) => {
  const cases: [string, string][] = [
    ['declare', 'hubq declare: QUEUE is required (see hubq declare --help)\n'],
    ['bind orders', 'hubq bind: QUEUE is required (see hubq bind --help)\n'],
    ['topic a b', 'hubq topic: unexpected argument "b" (see hubq topic --help)\n'],
    ['declare q --max-receives 1.5', 'hubq declare: --max-receives must be an integer between 0 and 9007199254740991 (got "1.5") (see hubq declare --help)\n'],
    ['declare "bad name"', "hubq declare: QUEUE must be 1 to 80 characters of letters, digits, '-', '_' or '.'. (see hubq declare --help)\n"],
    ['bind t q --filter region', 'hubq bind: --filter must look like ATTR=V1,V2 (got "region") (see hubq bind --help)\n'],
    ['consume --prefetch 0 --queue q', 'hubq consume: --prefetch must be an integer between 1 and 10000 (got "0") (see hubq consume --help)\n'],
    ['produce', 'hubq produce: give exactly one of --queue or --topic (see hubq produce --help)\n'],
    ['stats --nope', 'hubq stats: unknown option --nope (see hubq stats --help)\n'],
    ['consume --queue', 'hubq consume: --queue needs a value (see hubq consume --help)\n'],
    ['broker --nope', 'hubq broker: unknown option --nope (see hubq broker --help)\n'],
    ['broker --port x', 'hubq broker: --port must be an integer between 0 and 65535 (got "x") (see hubq broker --help)\n'],
    ['frobnicate', 'hubq: unknown command "frobnicate" (see hubq --help)\n'],
  ]
  for (const [args, stderr] of cases) {
    const run = await sh(`${HUBQ} ${args}`, { HUBQ_URL: 'hubq://127.0.0.1:1' })
    t.equal(run.code, 2, args)
    t.equal(run.stderr, stderr, args)
  }
  for (const name of ['declare', 'topic', 'bind', 'unbind', 'peek', 'purge', 'drop', 'redrive', 'produce', 'consume', 'stats']) {
    const help = await sh(`${HUBQ} ${name} --help`)
    t.equal(help.code, 0)
    t.match(help.stdout, new RegExp(`^Usage: hubq ${name}`), `${name} --help`)
    for (const scheme of ['hubq://HOST:PORT', 'hubq://TOKEN@HOST:PORT', 'hubqs://', 'sqs://?region=', 'HUBQ_URL']) {
      t.ok(help.stdout.includes(scheme), `${name} --help names ${scheme}`)
    }
  }
  const pkg = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')) as { version: string }
  t.same(await sh(`${HUBQ} --version`), { code: 0, stdout: `hubq ${pkg.version}\n`, stderr: '' })
  t.match((await sh(`${HUBQ} --help`)).stdout, /declare[\s\S]*topic[\s\S]*bind[\s\S]*unbind[\s\S]*peek[\s\S]*purge[\s\S]*drop[\s\S]*redrive/)
})
