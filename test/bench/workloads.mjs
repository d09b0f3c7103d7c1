// W1–W4 of ../shared/peers (README "Workloads") driven through the project's own client library:
// Producer (a window of unconfirmed publishes) and Consumer (acks coalesced per event-loop turn).
// Bodies are SIZE random bytes sent as a base64 string, as the peers harness's hubq adapter does;
// the first 8 bytes carry performance.now() at the publish call, for latency in one process.
import { randomBytes } from 'node:crypto'
import { Producer } from '../../dist/producer/index.js'
import { Consumer } from '../../dist/consumer/index.js'

export const QUEUE = 'bench'
const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const pool = randomBytes(1 << 20)
function payload(size) {
  const b = Buffer.allocUnsafe(Math.max(size, 8))
  const off = (Math.random() * (pool.length - b.length)) | 0
  pool.copy(b, 0, off, off + b.length)
  b.writeDoubleLE(now(), 0)
  return b.toString('base64')
}
const stampOf = (body) => Buffer.from(body, 'base64').readDoubleLE(0)

function percentiles(lat) {
  lat.sort()
  const q = (p) => +lat[Math.min(lat.length - 1, Math.floor(p * (lat.length - 1)))].toFixed(3)
  return { p50Ms: q(0.5), p99Ms: q(0.99), maxMs: +lat[lat.length - 1].toFixed(3) }
}

/** Publishes n messages with at most `window` unconfirmed; resolves when the last is confirmed. */
function pump(producer, n, size, window) {
  return new Promise((resolve, reject) => {
    let sent = 0
    let done = 0
    const confirmed = () => {
      if (++done === n) resolve()
      else fill()
    }
    // Producer.publish would itself wait while its window is full; checking inFlight first keeps
    // the client from queueing more than the window, as the peers' driver does.
    const fill = () => {
      while (sent < n && producer.inFlight < window) {
        sent++
        producer.publish(QUEUE, payload(size)).then(confirmed, reject)
      }
    }
    fill()
  })
}

async function consume(cfg, expected, lat) {
  let got = 0
  let resolveDone
  const done = new Promise((resolve) => (resolveDone = resolve))
  const consumer = await Consumer.start({
    url: cfg.url,
    queue: QUEUE,
    prefetch: cfg.window,
    // One timer per message buys nothing in a run far shorter than the visibility timeout.
    heartbeatInterval: 0,
    // --max-receives N: the queue has a dead-letter limit, so each delivery's receive count is
    // written before it leaves (PROTOCOL.md §6.5).
    declare: { visibilityTimeout: 600, ...(cfg.maxReceives > 0 ? { maxReceives: cfg.maxReceives, deadLetter: `${QUEUE}.dead` } : {}) },
    handler: (message) => {
      if (lat) lat[got] = now() - stampOf(message.body)
      if (++got === expected) resolveDone()
    },
  })
  // stop() sends the last acks and waits for their replies: the server has processed them.
  return { done, barrier: () => consumer.stop({ timeout: 5 }) }
}

async function producer(cfg) {
  return Producer.connect({ url: cfg.url, window: cfg.window, batch: cfg.batch })
}

export const workloads = {
  async w1(cfg) {
    const p = await producer(cfg)
    const t0 = now()
    await pump(p, cfg.n, cfg.size, cfg.window)
    const secs = (now() - t0) / 1000
    await p.close()
    return { n: cfg.n, secs, rate: cfg.n / secs }
  },
  async w2(cfg) {
    const t0 = now()
    const c = await consume(cfg, cfg.n)
    await c.done
    await c.barrier()
    const secs = (now() - t0) / 1000
    return { n: cfg.n, secs, rate: cfg.n / secs }
  },
  async w3(cfg) {
    const lat = new Float64Array(cfg.n)
    const c = await consume(cfg, cfg.n, lat)
    const p = await producer(cfg)
    const t0 = now()
    const published = pump(p, cfg.n, cfg.size, cfg.window)
    await c.done
    await c.barrier()
    const secs = (now() - t0) / 1000
    await published
    await p.close()
    return { n: cfg.n, secs, rate: cfg.n / secs, ...percentiles(lat) }
  },
  async w4(cfg) {
    const total = cfg.rate * cfg.secs
    const lat = new Float64Array(total)
    const c = await consume(cfg, total, lat)
    const p = await Producer.connect({ url: cfg.url, window: 100_000 })
    let sent = 0
    let failure
    const t0 = now()
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - t0) * cfg.rate) / 1000))
      while (sent < due) {
        sent++
        p.publish(QUEUE, payload(cfg.size)).catch((err) => (failure = err))
      }
      if (failure) throw failure
      await sleep(1)
    }
    const sendSecs = (now() - t0) / 1000
    await c.done
    await c.barrier()
    await p.close()
    return { n: total, secs: sendSecs, rate: total / sendSecs, ...percentiles(lat) }
  },
}
