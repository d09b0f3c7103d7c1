// `node test/bench/replay.mjs` (after `npm run build`): the store and log in-process, no sockets.
// Fills a log with N messages of SIZE bytes (base64 JSON strings, as the benches send them), then
// times LocalStore.open() on it (the replay a restart does) and reports the heap and RSS each
// queued message costs after a full GC. Run with --expose-gc. Prints one JSON object.
//   N=200000 node --expose-gc test/bench/replay.mjs
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalStore } from '../../dist/broker/store/local/store.js'
import { LogJournal } from '../../dist/broker/store/log/journal.js'

const n = Number(process.env.N ?? 200_000)
const size = Number(process.env.SIZE ?? 128)
const gc = globalThis.gc ?? (() => undefined)
const pool = randomBytes(1 << 20)
const dir = mkdtempSync(join(tmpdir(), 'hubq-replay-'))

function body() {
  const off = (Math.random() * (pool.length - size)) | 0
  return JSON.stringify(pool.subarray(off, off + size).toString('base64'))
}

const usage = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers }
}

const filled = new LocalStore({ journal: new LogJournal({ dir, fsync: { mode: 'off' } }) })
await filled.open()
filled.declare({ queue: 'q' })
const cpu0 = process.cpuUsage()
for (let done = 0; done < n; done += 1000) {
  const inputs = Array.from({ length: Math.min(1000, n - done) }, () => ({ bodyJson: body() }))
  await filled.publish({ queue: 'q' }, inputs)
}
const publishCpu = process.cpuUsage(cpu0)
await filled.close()

const before = usage()
const store = new LocalStore({ journal: new LogJournal({ dir, fsync: { mode: 'off' } }) })
const t0 = performance.now()
const cpu1 = process.cpuUsage()
await store.open()
const replayMs = performance.now() - t0
const replayCpu = process.cpuUsage(cpu1)
const after = usage()
const ready = store.stats('q').queues[0].ready
console.log(JSON.stringify({
  n, size, ready,
  publishCpuUsPerMessage: +((publishCpu.user + publishCpu.system) / n).toFixed(2),
  replayMs: Math.round(replayMs),
  replayCpuUsPerRecord: +((replayCpu.user + replayCpu.system) / n).toFixed(2),
  heapPerMessage: Math.round((after.heap - before.heap) / n),
  rssPerMessage: Math.round((after.rss - before.rss) / n),
}))
await store.close()
rmSync(dir, { recursive: true, force: true })
