// `npm run bench:peers` on a machine without the peers: it names each missing one with how to
// install it, skips it, and still runs hubq through all three phases. Tiny N: shape, not speed.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..', '..', '..')

t.test('missing peers are named and skipped; hubq runs W1–W4', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'hubq-peers-run-'))
  const empty = mkdtempSync(join(tmpdir(), 'hubq-peers-path-'))
  t.teardown(() => {
    rmSync(out, { recursive: true, force: true })
    rmSync(empty, { recursive: true, force: true })
  })
  // PATH holds nothing: no peer's server can be found (node itself is started by its own path).
  const { stdout, stderr } = await run(process.execPath, [
    join(root, 'test/bench/peers/run.mjs'), '--peers', 'redis-always,hubq,beanstalkd', '--reps', '1', '--n', '300', '--rate', '200', '--secs', '1', '--out', out,
  ], { cwd: root, env: { ...process.env, PATH: empty } })

  t.match(stderr, 'skipping redis-always: redis-server not found (apt-get install -y redis-server beanstalkd rabbitmq-server nats-server)')
  t.match(stderr, 'skipping beanstalkd: beanstalkd not found (apt-get install -y')
  t.match(stdout, 'Not run: redis-always (redis-server not found')

  const rows = readFileSync(join(out, 'raw', 'hubq.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
  t.same(rows.map((r) => r.w), ['w1', 'w2', 'w3', 'w4'])
  t.same(rows.map((r) => r.phase), ['w1,w2', 'w1,w2', 'w3', 'w4'], 'w1 and w2 share a server, w3 and w4 get their own')
  for (const r of rows) {
    t.equal(r.n, r.w === 'w4' ? 200 : 300, `${r.w} counts its messages`)
    t.ok(r.rate > 0, `${r.w} has a rate`)
    t.ok(r.serverPeakRssMb > 0, `${r.w}: the server's peak RSS was read`)
    t.type(r.serverCpuS, 'number')
  }
  t.match(stdout, /^\| hubq \| [\d,]+ \([\d,]+–[\d,]+\) \|/m, 'the table has hubq\'s row')
  t.notMatch(stdout, /^\| (redis-always|beanstalkd) \| [\d,]/m, 'and no row of figures for a skipped peer')
  t.same(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).peers, ['hubq'])
  t.match(readFileSync(join(out, 'table.md'), 'utf8'), '| hubq |')
})
