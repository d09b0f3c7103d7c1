// kill -9 soak: the crash test's cycle, many more times, with bigger bursts. Run by hand after
// `npx tsc -p .`:
//   node --import=./node_modules/@tapjs/typescript/dist/esm/import.mjs test/soak/kill9-soak.ts [cycles] [--fsync POLICY]
// Exits 1 if a confirmed publish was not delivered after a restart.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestClient } from '../helpers/broker.js'
import { spawnBroker } from '../crash/child-broker.js'
import { drain, publishAndKill } from '../crash/cycle.js'

const cycles = Number(process.argv[2] ?? 200)
const extra = process.argv.slice(3)
const dir = mkdtempSync(join(tmpdir(), 'hubq-soak-'))
const outstanding = new Set<string>()
const delivered = new Set<string>()
let duplicates = 0
let confirmedTotal = 0
let lost = 0
for (let cycle = 0; cycle <= cycles; cycle++) {
  const broker = await spawnBroker(dir, extra)
  const client = await TestClient.connect(broker.port)
  for (const mid of await drain(client, 'q')) {
    if (delivered.has(mid)) duplicates++
    delivered.add(mid)
    outstanding.delete(mid)
  }
  if (outstanding.size > 0) {
    lost += outstanding.size
    console.error(`cycle ${cycle}: ${outstanding.size} confirmed publishes were not delivered`)
    outstanding.clear()
  }
  await client.close()
  if (cycle === cycles) {
    broker.child.kill('SIGTERM')
    await broker.exited
    break
  }
  const confirms = 100 + Math.floor(Math.random() * 2000)
  const confirmed = await publishAndKill(broker.port, confirms, () => broker.child.kill('SIGKILL'), cycle)
  await broker.exited
  for (const mid of confirmed) outstanding.add(mid)
  confirmedTotal += confirmed.length
  if (cycle % 10 === 9) console.log(`${cycle + 1} cycles, ${confirmedTotal} confirmed, ${duplicates} duplicates, ${lost} lost`)
}
console.log(JSON.stringify({ cycles, confirmed: confirmedTotal, delivered: delivered.size, duplicates, lost }))
rmSync(dir, { recursive: true, force: true })
process.exitCode = lost > 0 ? 1 : 0
