// `node test/bench/profile.mjs [w1,w2]`: runs workloads (peers/drive.mjs, through the project's
// own client as `npm run bench` does) against a broker started with `node --cpu-prof`, then
// prints the broker's top functions by self time.
// Env knobs as in run.mjs (N SIZE WINDOW FSYNC BATCH); PROFILE_DIR keeps the .cpuprofile.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { startBroker } from './broker-process.mjs'
import { drivePhase } from './peers/drive.mjs'

const phase = process.argv[2] ?? 'w1,w2'
const cfg = {
  n: Number(process.env.N ?? 100_000),
  size: Number(process.env.SIZE ?? 128),
  window: Number(process.env.WINDOW ?? 1000),
  rate: Number(process.env.RATE ?? 2000),
  secs: Number(process.env.SECS ?? 5),
  batch: process.env.BATCH === '1',
}
const dir = process.env.PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'hubq-prof-'))
const broker = await startBroker({ nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir], args: ['--fsync', process.env.FSYNC ?? 'always'] })
await drivePhase({
  adapter: 'hubq-client',
  port: broker.port,
  phase,
  cfg,
  around: async (w, run) => console.log(w, Math.round((await run()).rate), 'msg/s'),
})
await broker.stop()

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map()
const dt = profile.timeDeltas
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i])
  const { functionName, url, lineNumber } = node.callFrame
  const where = url ? `${relative(process.cwd(), url.replace('file://', ''))}:${lineNumber + 1}` : ''
  const key = `${functionName || '(anonymous)'} ${where}`
  const us = dt[i] ?? 0
  self.set(key, (self.get(key) ?? 0) + us)
  total += us
}
// Also by the project file each sample was taken under (its nearest frame in dist/), so Node's
// own functions (buffer writes, socket syscalls) count towards the code that called them.
const parentOf = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node)
const byFile = new Map()
for (let i = 0; i < profile.samples.length; i++) {
  let node = byId.get(profile.samples[i])
  const own = node.callFrame.functionName
  let key = own.startsWith('(') ? own : '(node internals)'
  for (; node; node = parentOf.get(node.id)) {
    const url = node.callFrame.url
    if (url.includes('/dist/')) {
      key = url.slice(url.indexOf('/dist/') + 6)
      break
    }
  }
  byFile.set(key, (byFile.get(key) ?? 0) + (dt[i] ?? 0))
}
const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0)
console.log(`profile ${join(dir, file)}: ${(total / 1e6).toFixed(2)} s sampled, ${((total - idle) / 1e6).toFixed(2)} s busy`)
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30))) {
  console.log(`${((100 * us) / (total - idle || 1)).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
}
console.log('\nby file (self time of everything called from it):')
for (const [key, us] of [...byFile].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30))) {
  console.log(`${((100 * us) / (total - idle || 1)).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
}
