// Measures RSS per queued message (the in-memory index: LocalStore + the log's live index).
// Not a test; run by hand:
//   node --expose-gc --import=./node_modules/@tapjs/typescript/dist/esm/import.mjs test/soak/rss-per-message.ts 1000000
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalStore } from '../../broker/store/local/store.js'
import { LogJournal } from '../../broker/store/log/journal.js'

const count = Number(process.argv[2] ?? 100_000)
const body = JSON.stringify('b'.repeat(126)) // 128 bytes of JSON text
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

const dir = mkdtempSync(join(tmpdir(), 'hubq-rss-'))
const store = new LocalStore({ journal: new LogJournal({ dir, fsync: { mode: 'off' } }) })
await store.open()
store.declare({ queue: 'q' })
gc()
const before = process.memoryUsage()
for (let done = 0; done < count; done += 1000) {
  const inputs = Array.from({ length: Math.min(1000, count - done) }, () => ({ bodyJson: body }))
  await store.publish({ queue: 'q' }, inputs)
}
gc()
const after = process.memoryUsage()
const perMessage = (key: 'rss' | 'heapUsed') => Math.round((after[key] - before[key]) / count)
console.log(JSON.stringify({
  messages: count, bodyBytes: body.length,
  rssPerMessage: perMessage('rss'), heapPerMessage: perMessage('heapUsed'),
  rssMiB: Math.round(after.rss / 1048576),
}))
await store.close()
rmSync(dir, { recursive: true, force: true })
