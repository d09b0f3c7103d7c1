// `node test/bench/drain.mjs [BODIES_IN_MEMORY]` (after `npm run build`): the store and log
// in-process, no sockets. Publishes N messages of 128 random bytes (base64 JSON strings) to one
// queue, then receives and acks them in batches of 100, and prints the CPU the drain took per
// message. With a small window most bodies are read back from the log; a window past N keeps
// them all in memory. Prints one JSON object.
//   node test/bench/drain.mjs 10000; node test/bench/drain.mjs 1000000000
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalStore } from '../../dist/broker/store/local/store.js'
import { LogJournal } from '../../dist/broker/store/log/journal.js'

const n = Number(process.env.N ?? 100_000)
const bodiesInMemory = Number(process.argv[2] ?? 10_000)
const pool = randomBytes(1 << 20)
const dir = mkdtempSync(join(tmpdir(), 'hubq-drain-'))

function body() {
  const off = (Math.random() * (pool.length - 128)) | 0
  return JSON.stringify(pool.subarray(off, off + 128).toString('base64'))
}

const store = new LocalStore({ journal: new LogJournal({ dir, fsync: { mode: 'off' } }), bodiesInMemory })
await store.open()
store.declare({ queue: 'q' })
for (let done = 0; done < n; done += 1000) {
  await store.publish({ queue: 'q' }, Array.from({ length: Math.min(1000, n - done) }, () => ({ bodyJson: body() })))
}
const owner = { id: 1 }
let received = 0
const cpu0 = process.cpuUsage()
while (received < n) {
  const batch = await store.receive('q', { max: 100, wait: 0, owner })
  received += batch.length
  store.ack(batch.map((d) => d.receipt))
}
const cpu = process.cpuUsage(cpu0)
console.log(JSON.stringify({ n, bodiesInMemory, drainCpuUsPerMessage: +((cpu.user + cpu.system) / n).toFixed(2) }))
await store.close()
rmSync(dir, { recursive: true, force: true })
