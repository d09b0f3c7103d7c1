// `npm run bench -- --json` prints one JSON document with every workload's figures on stdout and
// the human table on stderr. Run with a tiny N: this checks the output's shape, never a speed.
import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')

interface Workload {
  name: string
  n: number
  secs: number
  rate: number
  p50Ms?: number
  p99Ms?: number
  maxMs?: number
  clientCpuS: number
  serverCpuS: number
  serverCpuUsPerMsg: number
  serverRssMb: number
  serverPeakRssMb: number
}

t.test('--json: one document with W1–W4, the config, the machine and the build', async (t) => {
  const { stdout, stderr } = await run(process.execPath, [join(root, 'test/bench/run.mjs'), '--json', '--n', '300', '--rate', '200', '--secs', '1'], { cwd: root })
  const lines = stdout.trim().split('\n')
  t.equal(lines.length, 1, 'stdout holds the JSON document alone')
  const doc = JSON.parse(lines[0] as string) as {
    date: string
    hubq: { version: string }
    node: string
    machine: { cpus: number }
    config: { n: number; rate: number; secs: number; fsync: string }
    results: Record<string, Workload>
  }
  t.ok(!Number.isNaN(Date.parse(doc.date)), 'dated')
  t.match(doc.hubq.version, /^\d+\.\d+\.\d+/)
  t.equal(doc.node, process.version)
  t.ok(doc.machine.cpus >= 1)
  t.match(doc.config, { n: 300, rate: 200, secs: 1, fsync: 'always' })
  t.same(Object.keys(doc.results), ['w1', 'w2', 'w3', 'w4'])
  const expectedN: Record<string, number> = { w1: 300, w2: 300, w3: 300, w4: 200 }
  for (const [w, r] of Object.entries(doc.results)) {
    t.equal(r.n, expectedN[w], `${w} counts its messages`)
    t.ok(r.rate > 0 && r.secs > 0, `${w} has a rate`)
    // Both are rounded (secs to the millisecond, rate to the message): n / secs within that.
    t.ok(Math.abs(r.rate * r.secs - r.n) <= r.rate * 0.0005 + r.secs, `${w}: rate is n / secs`)
    for (const key of ['clientCpuS', 'serverCpuS', 'serverCpuUsPerMsg', 'serverRssMb', 'serverPeakRssMb'] as const) {
      t.type(r[key], 'number', `${w}.${key}`)
    }
    t.ok(r.serverPeakRssMb >= r.serverRssMb, `${w}: the peak is at least the current RSS`)
    if (w === 'w3' || w === 'w4') {
      t.ok((r.p50Ms as number) <= (r.p99Ms as number) && (r.p99Ms as number) <= (r.maxMs as number), `${w}: p50 ≤ p99 ≤ max`)
    } else {
      t.equal(r.p50Ms, undefined, `${w} measures no latency`)
    }
  }
  for (const row of ['W1 publish', 'W2 consume', 'W3 end to end', 'W4 fixed rate']) t.match(stderr, row, `the table on stderr has ${row}`)
})
