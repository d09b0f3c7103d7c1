// The peers' table: medians with (min–max) over the reps, server CPU per message per phase, and
// the peers that were not run with why. Fed raw lines written here: no server is started.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const summarize = join(import.meta.dirname, '..', '..', '..', 'test/bench/peers/summarize.mjs')

function rows(peer: string, rates: number[]) {
  return rates.flatMap((rate, i) => {
    const rep = i + 1
    const phase = { peer, rep, serverPeakRssMb: 100 + rep }
    return [
      { ...phase, phase: 'w1,w2', w: 'w1', n: 1000, rate, clientCpuS: 0.5, serverCpuS: 0.01 * rep },
      { ...phase, phase: 'w1,w2', w: 'w2', n: 1000, rate: 2 * rate, clientCpuS: 0.25, serverCpuS: 0.01 * rep },
      { ...phase, phase: 'w3', w: 'w3', n: 1000, rate: rate / 2, p50Ms: rep, p99Ms: 10 * rep, maxMs: 20 * rep, clientCpuS: 1, serverCpuS: 0.02 },
      { ...phase, phase: 'w4', w: 'w4', n: 500, rate: 100, p50Ms: 0.5, p99Ms: 3, maxMs: 9, clientCpuS: 2, serverCpuS: 0.25 },
    ]
  })
}

t.test('one row per peer, in the order run.json asked for them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hubq-peers-summary-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'raw'))
  const jsonl = (list: object[]) => list.map((r) => JSON.stringify(r)).join('\n') + '\n'
  writeFileSync(join(dir, 'raw', 'hubq.jsonl'), jsonl(rows('hubq', [30_000, 10_000, 20_000])))
  writeFileSync(join(dir, 'raw', 'beanstalkd.jsonl'), jsonl(rows('beanstalkd', [4000])))
  writeFileSync(join(dir, 'run.json'), JSON.stringify({
    date: '2026-12-03T12:00:00.000Z',
    machine: '2 × AMD EPYC, 24 GiB',
    hubq: 'abc1234',
    versions: { node: 'v20.20.2', beanstalkd: '1.12' },
    config: { n: 1000, size: 128, window: 1000, rate: 100, secs: 5, reps: 3 },
    peers: ['hubq', 'beanstalkd'],
    skipped: [{ peer: 'nats', reason: 'nats-server not found (apt-get install -y nats-server)' }],
  }))

  const { stdout } = await run(process.execPath, [summarize, dir])
  const lines = stdout.split('\n')
  t.match(stdout, 'Run 2026-12-03T12:00:00.000Z: 2 × AMD EPYC, 24 GiB; node v20.20.2, hubq abc1234.')
  t.match(stdout, 'Installed: beanstalkd 1.12.')
  t.match(stdout, 'N=1000, 128-byte payloads, window 1000, W4 100 msg/s × 5 s; 3 rep(s) per peer')
  t.match(stdout, 'Not run: nats (nats-server not found (apt-get install -y nats-server)).')

  const table = lines.filter((l) => l.startsWith('| hubq |') || l.startsWith('| beanstalkd |'))
  t.equal(table.length, 4, 'a figures row and a "confirmed" row per peer')
  t.same((table[0] as string).slice(2, -2).split(' | '), [
    'hubq',
    '20,000 (10,000–30,000)', // W1: median of 30,000, 10,000 and 20,000
    '40,000 (20,000–60,000)',
    '10,000 (5,000–15,000)',
    '2.00 / 20.0', // W3 p50 / p99: medians of 1, 2, 3 and 10, 20, 30
    '0.50 / 3.00 / 9.00',
    '20.0 / 20.0 / 500', // µs per message: median CPU 0.02 s / 1000, 0.02 s / 1000, 0.25 s / 500
    '102 / 102 / 102',
    '0.50 / 0.25 / 1.00 / 2.00',
    '3',
  ])
  t.match(table[1] as string, /^\| beanstalkd \| 4,000 \(4,000–4,000\) \| 8,000 /, 'one rep: its own value as min and max')
  t.match(stdout, '| hubq | on disk: the publish record fdatasync\'ed')
})
