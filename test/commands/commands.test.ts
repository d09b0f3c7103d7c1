// The client commands end to end: the built CLI (dist/) against a real broker, through a shell.
import t from 'tap'
import { execFile } from 'node:child_process'
import { startBroker, TestClient } from '../helpers/broker.js'
import { statsTable } from '../../shared/client/stats-command.js'

const HUBQ = 'node dist/broker/bin.js'

function sh(command: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

t.test('printf | hubq produce && hubq consume --count: mids out, then the same messages in order', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const env = { HUBQ_URL: `hubq://127.0.0.1:${b.port}` }
  const run = await sh(`printf 'plain text\\n{"n":2}\\n\\n3\\n' | ${HUBQ} produce --queue jobs --attr kind=test && ${HUBQ} consume --queue jobs --count 3`, env)
  t.equal(run.code, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  t.equal(lines.length, 6, 'three mids, then three deliveries')
  const mids = lines.slice(0, 3)
  const deliveries = lines.slice(3).map((l) => JSON.parse(l) as Record<string, unknown>)
  t.same(deliveries.map((d) => d.body), ['plain text', { n: 2 }, 3], 'JSON lines as JSON, others as strings, blank lines skipped')
  t.same(deliveries.map((d) => d.mid), mids)
  t.match(deliveries[0], { queue: 'jobs', attrs: { kind: 'test' }, receives: 1, publishedAt: Number })
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.match((await c.request({ op: 'stats', queue: 'jobs' })).queues[0], { ready: 0, inflight: 0, acked: 3 }, 'consume acked what it printed')
})

t.test('a refused publish exits non-zero with the reason; --url beats HUBQ_URL', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const refused = await sh(`${HUBQ} produce --topic nowhere --body hi --url hubq://127.0.0.1:${b.port}`, { HUBQ_URL: 'hubq://127.0.0.1:1' })
  t.equal(refused.code, 1)
  t.match(refused.stderr, /^hubq produce: .*nowhere.* \(not_found\)\n$/)
  const down = await sh(`echo 1 | ${HUBQ} produce --queue jobs`, { HUBQ_URL: 'hubq://127.0.0.1:1' })
  t.equal(down.code, 1)
  t.match(down.stderr, /cannot connect to hubq:\/\/127\.0\.0\.1:1.*\(unavailable\)/)
  const usage = await sh(`${HUBQ} consume --prefetch 0 --queue jobs`)
  t.equal(usage.code, 2)
  t.match(usage.stderr, /--prefetch must be an integer between 1 and 10000/)
})

t.test('consume --exec acks when the command exits 0, nacks otherwise and then exits 1', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const env = { HUBQ_URL: `hubq://127.0.0.1:${b.port}` }
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'jobs', body: { job: 1 } })
  const failed = await sh(`${HUBQ} consume --queue jobs --count 1 --exec 'cat; exit 3'`, env)
  t.equal(failed.code, 1, 'a failed run makes the exit code non-zero')
  t.equal(failed.stdout, '{"job":1}', 'the body went to the command on stdin')
  t.match(failed.stderr, /failed \(.*exited with 3\); redelivery in 1 s/)
  t.match((await c.request({ op: 'stats', queue: 'jobs' })).queues[0], { delayed: 1, acked: 0 }, 'nacked with backoff')
  await c.request({ op: 'publish', queue: 'jobs', body: 'text body' })
  const ok = await sh(`${HUBQ} consume --queue jobs --count 1 --exec 'cat; echo " $HUBQ_RECEIVES"'`, env)
  t.equal(ok.code, 0, ok.stderr)
  t.equal(ok.stdout, 'text body 1\n', 'strings go on stdin as they are')
  t.match((await c.request({ op: 'stats', queue: 'jobs' })).queues[0], { acked: 1 })
})

t.test('stats prints JSON when stdout is not a terminal, a table otherwise', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'jobs', body: 1 })
  const run = await sh(`${HUBQ} stats --queue jobs`, { HUBQ_URL: `hubq://127.0.0.1:${b.port}` })
  t.equal(run.code, 0, run.stderr)
  const stats = JSON.parse(run.stdout)
  t.match(stats.queues, [{ queue: 'jobs', ready: 1 }])
  const table = statsTable({ queues: [{ queue: 'jobs', ready: 1, inflight: 20, delayed: 0, published: 21, acked: 0, deadLettered: 0, redelivered: 0 }], connections: 2, uptime: 5 })
  t.equal(table, [
    'queue  ready  inflight  delayed  published  acked  redelivered  deadLettered',
    'jobs       1        20        0         21      0            0             0',
    '',
    'connections 2, uptime 5 s',
    '',
  ].join('\n'))
})

t.test('--help on every command', async (t) => {
  for (const command of ['produce', 'consume', 'stats']) {
    const run = await sh(`${HUBQ} ${command} --help`)
    t.equal(run.code, 0)
    t.match(run.stdout, new RegExp(`^Usage: hubq ${command} `))
    t.match(run.stdout, /--url URL .*HUBQ_URL/)
  }
})
