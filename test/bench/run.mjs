// `npm run bench [-- --json] [-- --n 100000 --size 128 --window 1000 --rate 2000 --secs 5 --fsync always --batch --max-receives N]`
// Runs W1–W4 against a broker started here as a child process (fresh data dir per phase, as the
// peers harness does: w1+w2 on one broker, w3 and w4 on their own), and prints a table.
// Knobs also from env: N SIZE WINDOW RATE SECS FSYNC BATCH MAX_RECEIVES.
import { parseArgs } from 'node:util'
import { startBroker } from './broker-process.mjs'
import { workloads } from './workloads.mjs'

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
const phases = (values.only ?? 'w1,w2;w3;w4').split(';').map((p) => p.split(','))

const results = {}
for (const phase of phases) {
  const broker = await startBroker({ args: ['--fsync', cfg.fsync] })
  try {
    const run = { ...cfg, url: `hubq://127.0.0.1:${broker.port}` }
    for (const w of phase) {
      const cpu0 = process.cpuUsage()
      const server0 = broker.usage().cpuS
      const r = await workloads[w](run)
      const cpu = process.cpuUsage(cpu0)
      const usage = broker.usage()
      results[w] = {
        ...r,
        clientCpuS: (cpu.user + cpu.system) / 1e6,
        serverCpuS: +(usage.cpuS - server0).toFixed(2),
        serverRssMb: +usage.rssMb.toFixed(1),
        serverPeakRssMb: +usage.peakRssMb.toFixed(1),
      }
    }
  } finally {
    await broker.stop()
  }
}

if (values.json) {
  console.log(JSON.stringify({ date: new Date().toISOString(), config: cfg, results }))
} else {
  const fmt = (v) => (v === undefined ? '' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2))
  const rows = [['workload', 'msg/s', 'p50 ms', 'p99 ms', 'max ms', 'server RSS MB (peak)', 'server CPU s', 'client CPU s']]
  const names = { w1: 'W1 publish', w2: 'W2 consume', w3: 'W3 end-to-end', w4: 'W4 fixed rate' }
  for (const [w, r] of Object.entries(results)) {
    rows.push([names[w], fmt(r.rate), fmt(r.p50Ms), fmt(r.p99Ms), fmt(r.maxMs), `${fmt(r.serverRssMb)} (${fmt(r.serverPeakRssMb)})`, fmt(r.serverCpuS), fmt(r.clientCpuS)])
  }
  console.log(`hubq bench: N=${cfg.n} SIZE=${cfg.size} WINDOW=${cfg.window} RATE=${cfg.rate} SECS=${cfg.secs} fsync=${cfg.fsync}${cfg.batch ? ' batch' : ''}${cfg.maxReceives ? ` maxReceives=${cfg.maxReceives}` : ''}`)
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
  for (const [i, row] of rows.entries()) {
    console.log('| ' + row.map((c, j) => String(c).padEnd(widths[j])).join(' | ') + ' |')
    if (i === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  }
}
