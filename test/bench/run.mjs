// `npm run bench [-- --json] [-- --n 100000 --size 128 --window 1000 --rate 2000 --secs 5 --fsync always --batch --max-receives N]`
// Runs W1–W4 (the workloads of `npm run bench:peers`, peers/drive.mjs) through the project's own
// Producer and Consumer (peers/adapters/hubq-client.mjs) against a broker started here as a child
// process (fresh data dir per phase: w1+w2 on one broker, w3 and w4 on their own), and prints a
// table. With --json the table goes to stderr and stdout gets one JSON document (README
// "Benchmarks" shows its shape).
// Knobs also from env: N SIZE WINDOW RATE SECS FSYNC BATCH MAX_RECEIVES.
import { parseArgs } from 'node:util'
import { startBroker } from './broker-process.mjs'
import { machine } from './machine.mjs'
import { drivePhase } from './peers/drive.mjs'

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    n: { type: 'string' },
    size: { type: 'string' },
    window: { type: 'string' },
    rate: { type: 'string' },
    secs: { type: 'string' },
    fsync: { type: 'string' },
    batch: { type: 'boolean' },
    only: { type: 'string' },
    'max-receives': { type: 'string' },
  },
})
const num = (flag, env, fallback) => Number(flag ?? process.env[env] ?? fallback)
const cfg = {
  n: num(values.n, 'N', 100_000),
  size: num(values.size, 'SIZE', 128),
  window: num(values.window, 'WINDOW', 1000),
  rate: num(values.rate, 'RATE', 2000),
  secs: num(values.secs, 'SECS', 5),
  fsync: values.fsync ?? process.env.FSYNC ?? 'always',
  batch: values.batch ?? process.env.BATCH === '1',
  maxReceives: num(values['max-receives'], 'MAX_RECEIVES', 0),
}
const phases = (values.only ?? 'w1,w2;w3;w4').split(';')

const names = { w1: 'publish', w2: 'consume', w3: 'end to end', w4: 'fixed rate' }
const results = {}
for (const phase of phases) {
  const broker = await startBroker({ args: ['--fsync', cfg.fsync] })
  try {
    await drivePhase({
      adapter: 'hubq-client',
      port: broker.port,
      phase,
      cfg,
      async around(w, run) {
        const server0 = broker.usage().cpuS
        // W4's peak in-flight count is the peers' table's; this document keeps its own keys.
        const { w: _w, maxInFlight: _maxInFlight, ...r } = await run()
        const usage = broker.usage()
        const serverCpuS = usage.cpuS - server0
        results[w] = {
          name: names[w],
          ...r,
          secs: +r.secs.toFixed(3),
          rate: Math.round(r.rate),
          clientCpuS: +r.clientCpuS.toFixed(2),
          serverCpuS: +serverCpuS.toFixed(2),
          serverCpuUsPerMsg: +((serverCpuS * 1e6) / r.n).toFixed(1),
          serverRssMb: +usage.rssMb.toFixed(1),
          serverPeakRssMb: +usage.peakRssMb.toFixed(1),
        }
      },
    })
  } finally {
    await broker.stop()
  }
}

// The human table goes to stdout, or to stderr when stdout carries the JSON document.
const print = values.json ? console.error : console.log
const fmt = (v) => (v === undefined ? '' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2))
const rows = [['workload', 'msg/s', 'p50 ms', 'p99 ms', 'max ms', 'server RSS MB (peak)', 'server CPU s', 'server CPU µs/msg', 'client CPU s']]
for (const [w, r] of Object.entries(results)) {
  rows.push([`${w.toUpperCase()} ${r.name}`, fmt(r.rate), fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.maxMs), `${fmt(r.serverRssMb)} (${fmt(r.serverPeakRssMb)})`, fmt(r.serverCpuS), fmt(r.serverCpuUsPerMsg), fmt(r.clientCpuS)])
}
print(`hubq bench: N=${cfg.n} SIZE=${cfg.size} WINDOW=${cfg.window} RATE=${cfg.rate} SECS=${cfg.secs} fsync=${cfg.fsync}${cfg.batch ? ' batch' : ''}${cfg.maxReceives ? ` maxReceives=${cfg.maxReceives}` : ''}`)
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
for (const [i, row] of rows.entries()) {
  print('| ' + row.map((c, j) => String(c).padEnd(widths[j])).join(' | ') + ' |')
  if (i === 0) print('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
}
if (values.json) console.log(JSON.stringify({ ...machine(), config: cfg, results }))
