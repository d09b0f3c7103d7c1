// `node test/bench/restart.mjs` (after `npm run build`): fills a broker with N messages (default
// 1,000,000 of SIZE=128 random bytes, base64) through a batching Producer, reads the server's RSS
// while it holds them (right after the last reply, and after SETTLE seconds idle), stops it
// (SIGTERM), and times a restart on the same data dir until the "listening" log line; then RSS
// again after the same settling, and (DRAIN=1, the default) drains the
// backlog through a Consumer (prefetch DRAIN_PREFETCH, 1000 as W2) and times it. The producer sends
// its publishes in `messages` batches of up to 100 (the broker's max batch), one per event-loop
// turn's worth. KILL=1 kills the first broker (SIGKILL) instead of stopping it. Prints one JSON
// object.
//   N=10000000 node test/bench/restart.mjs
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { Producer } from '../../dist/producer/index.js'
import { Consumer } from '../../dist/consumer/index.js'
import { startBroker } from './broker-process.mjs'

const n = Number(process.env.N ?? 1_000_000)
const size = Number(process.env.SIZE ?? 128)
const window = Number(process.env.WINDOW ?? 10_000)
const fsync = process.env.FSYNC ?? 'always'
const drain = process.env.DRAIN !== '0'
const prefetch = Number(process.env.DRAIN_PREFETCH ?? 1000)
const pool = randomBytes(1 << 20)

const first = await startBroker({ args: ['--fsync', fsync] })
const dir = first.dir
const idle = first.usage()
const producer = await Producer.connect({ url: `hubq://127.0.0.1:${first.port}`, window, batch: true })
const t0 = performance.now()
let sent = 0
await new Promise((resolve, reject) => {
  let done = 0
  const fill = () => {
    while (sent < n && producer.inFlight < window) {
      const off = (Math.random() * (pool.length - size)) | 0
      sent++
      producer.publish('bench', pool.subarray(off, off + size).toString('base64')).then(() => {
        if (++done === n) resolve()
        else if (sent < n) fill()
      }, reject)
    }
  }
  fill()
})
const publishSecs = (performance.now() - t0) / 1000
await producer.close()
const holding = first.usage()
const settled = await settle(first)
// KILL=1: the first broker is killed (SIGKILL) instead of stopped, so the restart replays what
// came after the last checkpoint instead of starting from the one a clean stop writes.
if (process.env.KILL === '1') process.kill(first.pid, 'SIGKILL')
await first.stop({ keep: true })

const second = await startBroker({ data: dir, args: ['--fsync', fsync] })
// The same settling as before the restart, so RSS is what the broker keeps, not its peak.
const replayed = await settle(second)
let drainRate
if (drain) {
  let got = 0
  let resolveDone
  const done = new Promise((resolve) => (resolveDone = resolve))
  const d0 = performance.now()
  const consumer = await Consumer.start({
    url: `hubq://127.0.0.1:${second.port}`,
    queue: 'bench',
    prefetch,
    heartbeatInterval: 0,
    declare: { visibilityTimeout: 600 },
    handler: () => {
      if (++got === n) resolveDone()
    },
  })
  await done
  await consumer.stop({ timeout: 5 })
  drainRate = Math.round(n / ((performance.now() - d0) / 1000))
}
const drained = second.usage()
await second.stop({ keep: true })
rmSync(dir, { recursive: true, force: true })

/**
 * RSS once the broker has sat idle holding the backlog for SETTLE seconds (default 60). V8 gives
 * memory back once allocation has stopped for a while (its memory reducer: 10 to 40 s here), so
 * the figure right after the last reply (holdingRssMb) is the working set while filling, and this
 * one is what holding the backlog costs.
 */
async function settle(broker) {
  const secs = Number(process.env.SETTLE ?? 60)
  await new Promise((resolve) => setTimeout(resolve, secs * 1000))
  return { ...broker.usage(), secs }
}

console.log(JSON.stringify({
  n, size, fsync,
  publishRate: Math.round(n / publishSecs),
  idleRssMb: +idle.rssMb.toFixed(1),
  holdingRssMb: +holding.rssMb.toFixed(1),
  holdingPeakRssMb: +holding.peakRssMb.toFixed(1),
  holdingSettledRssMb: +settled.rssMb.toFixed(1),
  settleSecs: settled.secs,
  bytesPerQueuedMessage: Math.round(((settled.rssMb - idle.rssMb) * 1024 * 1024) / n),
  restartMs: Math.round(second.readyMs),
  afterRestartRssMb: +replayed.rssMb.toFixed(1),
  afterRestartPeakRssMb: +replayed.peakRssMb.toFixed(1),
  bytesPerQueuedMessageAfterRestart: Math.round(((replayed.rssMb - idle.rssMb) * 1024 * 1024) / n),
  ...(drain ? { drainRate, afterDrainPeakRssMb: +drained.peakRssMb.toFixed(1) } : {}),
}))
