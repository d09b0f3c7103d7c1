// `npm run bench:peers [-- --peers hubq,redis-always --reps 3 --n 100000 --size 128 --window 1000
//   --rate 2000 --secs 5 --out DIR]`
// hubq beside redis, RabbitMQ, beanstalkd and NATS under the same four workloads (drive.mjs).
// Each rep runs three phases, each against a freshly started, empty server: w1+w2 (w2 drains
// what w1 published), w3, w4. A peer whose server or client is not installed is named with how
// to install it and skipped; hubq always runs. Results go to DIR (default
// /tmp/hubq-peers/<time>): raw/PEER.jsonl (one line per workload run), run.json, table.md.
// Run nothing else meanwhile: client and server share the machine's cores.
import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { machine } from '../machine.mjs'
import { clientModule } from './adapters/client-module.mjs'
import { missing, PEERS, startServer, versions } from './servers.mjs'
import { readRun, RESULTS_ROOT, summarize } from './summarize.mjs'

const { values } = parseArgs({
  options: {
    peers: { type: 'string' },
    reps: { type: 'string' },
    n: { type: 'string' },
    size: { type: 'string' },
    window: { type: 'string' },
    rate: { type: 'string' },
    secs: { type: 'string' },
    out: { type: 'string' },
  },
})
const num = (flag, env, fallback) => Number(flag ?? process.env[env] ?? fallback)
const config = {
  n: num(values.n, 'N', 100_000),
  size: num(values.size, 'SIZE', 128),
  window: num(values.window, 'WINDOW', 1000),
  rate: num(values.rate, 'RATE', 2000),
  secs: num(values.secs, 'SECS', 5),
  reps: num(values.reps, 'REPS', 3),
  timeoutS: num(undefined, 'TIMEOUT_S', 300),
}
const asked = (values.peers ?? Object.keys(PEERS).join(',')).split(',')
for (const peer of asked) {
  if (!PEERS[peer]) {
    console.error(`unknown peer ${peer}; known: ${Object.keys(PEERS).join(', ')}`)
    process.exit(1)
  }
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
const out = values.out ?? join(RESULTS_ROOT, stamp)
// Raw lines are appended: a folder that holds another run would mix the two.
if (existsSync(join(out, 'raw')) && readdirSync(join(out, 'raw')).length) {
  console.error(`${out} already holds a run; give --out a new folder`)
  process.exit(1)
}
mkdirSync(join(out, 'raw'), { recursive: true })
const dataRoot = join(out, 'data')

const skipped = []
const peers = []
for (const peer of asked) {
  const reasons = missing(peer)
  const client = PEERS[peer].client
  if (client && !(await clientModule(client.slice(0, client.lastIndexOf('@'))))) {
    reasons.push(`its client ${client} not installed (npm install --no-save ${client}, or PEER_CLIENTS=<a node_modules folder that has it>)`)
  }
  if (reasons.length) skipped.push({ peer, reason: reasons.join('; ') })
  else peers.push(peer)
}
for (const { peer, reason } of skipped) console.error(`skipping ${peer}: ${reason}`)

const where = machine()
const run = {
  date: where.date,
  machine: `${where.machine.cpus} × ${where.machine.cpu}, ${where.machine.memoryGiB} GiB`,
  hubq: where.hubq.commit ?? where.hubq.version,
  versions: versions(),
  config,
  peers,
  skipped,
}
writeFileSync(join(out, 'run.json'), JSON.stringify(run, null, 2) + '\n')

/** Runs drive.mjs for one phase; resolves with its JSON lines. */
function drive(adapter, port, phase) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'drive.mjs'), adapter, String(port), phase, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => (text += chunk))
    child.once('exit', (code) => {
      if (code === 0) resolve(text.split('\n').filter(Boolean).map((line) => JSON.parse(line)))
      else reject(new Error(`${adapter} ${phase}: the driver exited with ${code}`))
    })
  })
}

let failures = 0
for (const peer of peers) {
  for (let rep = 1; rep <= config.reps; rep++) {
    for (const phase of ['w1,w2', 'w3', 'w4']) {
      let server
      try {
        server = await startServer(peer, dataRoot)
        const before = server.usage()
        const lines = await drive(PEERS[peer].adapter, server.port, phase)
        const after = server.usage()
        for (const line of lines) {
          const row = {
            peer, rep, phase, date: new Date().toISOString(), ...line,
            serverCpuS: +(after.cpuS - before.cpuS).toFixed(2),
            serverPeakRssMb: +after.peakRssMb.toFixed(1),
          }
          appendFileSync(join(out, 'raw', `${peer}.jsonl`), JSON.stringify(row) + '\n')
          console.error(JSON.stringify(row))
        }
      } catch (err) {
        failures++
        console.error(`${peer} rep ${rep} ${phase} failed: ${err.message}`)
      } finally {
        await server?.stop()
      }
    }
  }
}

rmSync(dataRoot, { recursive: true, force: true })
const table = summarize(readRun(out).rows, run)
writeFileSync(join(out, 'table.md'), table + '\n')
console.log(table)
console.error(`\nresults in ${out} (raw/*.jsonl, run.json, table.md); \`node test/bench/peers/summarize.mjs ${out}\` prints the table again`)
process.exitCode = failures ? 1 : 0
