// W1–W4, the one driver of both benches. `node test/bench/peers/drive.mjs ADAPTER PORT PHASE
// CONFIG` (run by run.mjs, one process per phase): runs the phase's workloads (`w1,w2`, `w3` or
// `w4`) against a server through adapters/ADAPTER.mjs and prints one JSON line per workload.
// CONFIG is JSON: {n, size, window, rate, secs, timeoutS}, and for the hubq-client adapter
// optionally batch and maxReceives. `npm run bench` (../run.mjs) calls drivePhase() in its own
// process instead, with the hubq-client adapter, to read the broker's usage around each workload.
//
// W1 publish: N messages of SIZE random bytes, at most WINDOW unconfirmed; the clock stops at the
//   last confirm.
// W2 consume: one consumer drains W1's N messages, acking each; the clock stops once the server
//   has processed the last ack.
// W3 end to end: the consumer subscribes first, then a W1 producer; first publish to last ack.
// W4 fixed rate: RATE msg/s for SECS s, in ticks of ~1 ms with no in-flight limit, one consumer.
// Latency (W3, W4): delivery in the consumer minus performance.now() stamped into the first 8
// payload bytes at the publish call; producer and consumer share this process, so one clock.
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const pool = randomBytes(1 << 20)
function payload(size) {
  const b = Buffer.allocUnsafe(Math.max(size, 8))
  const offset = (Math.random() * (pool.length - b.length)) | 0
  pool.copy(b, 0, offset, offset + b.length)
  b.writeDoubleLE(now(), 0)
  return b
}
const stampOf = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true)

function percentiles(lat) {
  lat.sort()
  const at = (p) => +lat[Math.min(lat.length - 1, Math.floor(p * (lat.length - 1)))].toFixed(3)
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: +lat[lat.length - 1].toFixed(3) }
}

/** Publishes cfg.n messages with at most cfg.window unconfirmed; resolves at the last confirm. */
function pump(producer, cfg) {
  const n = cfg.n
  return new Promise((resolve, reject) => {
    let sent = 0
    let confirmed = 0
    const onConfirm = () => {
      if (++confirmed === n) resolve()
      else fill()
    }
    const fill = () => {
      while (sent < n && sent - confirmed < cfg.window) {
        sent++
        producer.publish(payload(cfg.size)).then(onConfirm, reject)
      }
    }
    fill()
  })
}

/** A consumer that counts `expected` deliveries, writing each one's latency into `lat` if given. */
async function consume(broker, expected, lat) {
  let got = 0
  let resolveAll
  const all = new Promise((resolve) => (resolveAll = resolve))
  const consumer = await broker.consumer((bytes) => {
    if (lat) lat[got] = now() - stampOf(bytes)
    if (++got === expected) resolveAll()
    else if (got > expected) throw new Error(`more deliveries than published (${got})`)
  }, expected)
  return { all, settled: () => consumer.settled() }
}

const workloads = {
  async w1(broker, cfg) {
    const producer = await broker.producer()
    const t0 = now()
    await pump(producer, cfg)
    const secs = (now() - t0) / 1000
    return { n: cfg.n, secs, rate: cfg.n / secs }
  },
  async w2(broker, cfg) {
    const t0 = now()
    const consumer = await consume(broker, cfg.n)
    await consumer.all
    await consumer.settled()
    const secs = (now() - t0) / 1000
    return { n: cfg.n, secs, rate: cfg.n / secs }
  },
  async w3(broker, cfg) {
    const lat = new Float64Array(cfg.n)
    const consumer = await consume(broker, cfg.n, lat)
    const producer = await broker.producer()
    const t0 = now()
    const published = pump(producer, cfg)
    await consumer.all
    await consumer.settled()
    const secs = (now() - t0) / 1000
    await published
    return { n: cfg.n, secs, rate: cfg.n / secs, ...percentiles(lat) }
  },
  async w4(broker, cfg) {
    const total = cfg.rate * cfg.secs
    const lat = new Float64Array(total)
    const consumer = await consume(broker, total, lat)
    const producer = await broker.producer()
    let sent = 0
    let confirmed = 0
    let maxInFlight = 0
    let failure
    const t0 = now()
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - t0) * cfg.rate) / 1000))
      while (sent < due) {
        sent++
        producer.publish(payload(cfg.size)).then(() => confirmed++, (err) => (failure = err))
      }
      maxInFlight = Math.max(maxInFlight, sent - confirmed)
      if (failure) throw failure
      await sleep(1)
    }
    const secs = (now() - t0) / 1000
    await consumer.all
    await consumer.settled()
    return { n: total, secs, rate: total / secs, maxInFlight, ...percentiles(lat) }
  },
}

/** Runs workload `w` through `broker` (an adapter's open()): its figures and this process's CPU for it. */
async function runWorkload(w, broker, cfg) {
  const cpu0 = process.cpuUsage()
  const result = await workloads[w](broker, cfg)
  const cpu = process.cpuUsage(cpu0)
  return { w, ...result, clientCpuS: (cpu.user + cpu.system) / 1e6 }
}

/**
 * Opens adapters/`adapter`.mjs on 127.0.0.1:`port`, runs the workloads of `phase` in order and
 * closes it. `around(w, run)` wraps each workload: `run()` resolves with its figures, and what
 * happens just before and after it (reading the server's usage) is the caller's.
 */
export async function drivePhase({ adapter, port, phase, cfg, around = (_w, run) => run() }) {
  const { open } = await import(`./adapters/${adapter}.mjs`)
  const broker = await open({ port, window: cfg.window, batch: cfg.batch, maxReceives: cfg.maxReceives })
  try {
    for (const w of phase.split(',')) await around(w, () => runWorkload(w, broker, cfg))
  } finally {
    await Promise.race([broker.close(), sleep(2000)])
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [adapter, port, phase, config] = process.argv.slice(2)
  const cfg = JSON.parse(config)
  const watchdog = setTimeout(() => {
    console.error(`${adapter} ${phase}: no result within ${cfg.timeoutS} s`)
    process.exit(2)
  }, cfg.timeoutS * 1000)
  await drivePhase({ adapter, port: Number(port), phase, cfg, around: async (_w, run) => console.log(JSON.stringify(await run())) })
  clearTimeout(watchdog)
  process.exit(0)
}
