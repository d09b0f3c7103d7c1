// `node test/bench/session.mjs [ROOT]`: the CPU time of the protocol and session path alone, per
// publish. A Session in this process, over a Duplex (no socket), with a stub store that confirms
// each 64 KiB chunk's publishes together (one group commit per chunk, as the log's is): frame
// decode, the fast publish path, the reply order and the reply's bytes, and nothing of the store.
// CPU time, not wall clock, so a busy machine moves it less; compare two builds by running each
// in turn a few times (ROOT: another checkout's folder, built, e.g. /tmp/hubq-old). N publishes
// (default 300 000, in five rounds) after a third as many to warm the JIT.
import { Duplex } from 'node:stream'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'))
const { Session } = await import(join(root, 'dist/broker/session.js'))
const { routes } = await import(join(root, 'dist/broker/handlers/index.js'))
const { DEFAULT_LIMITS } = await import(join(root, 'dist/shared/protocol/requests.js'))
const { silentLogger } = await import(join(root, 'dist/shared/logger.js'))
// Message ids live with the queue engine (broker/queues/); an older checkout kept them in the store.
const { nextMessageId } = await import(join(root, 'dist/broker/queues/message-ids.js'))
  .catch(() => import(join(root, 'dist/broker/store/local/message-ids.js')))

const n = Number(process.env.N ?? 300_000)
const stream = new Duplex({
  read() {},
  write(_chunk, _encoding, done) {
    done()
  },
  writev(_chunks, done) {
    done()
  },
})
let commit = () => {}
let committed = Promise.resolve()
const nextCommit = () => {
  committed = new Promise((resolve) => { commit = resolve })
}
nextCommit()
const store = {
  // As the local store's publishOne: a mid now, the confirmation when the commit is durable.
  publish() {
    const mids = [nextMessageId()]
    return committed.then(() => mids)
  },
  release() {},
}
new Session(stream, {
  store,
  limits: DEFAULT_LIMITS,
  info: { version: 'bench', startedAt: 0, now: Date.now, connections: () => 1 },
  log: silentLogger,
  routes,
})

// The peers harness's publish: a 128-byte payload as base64, no id.
const json = Buffer.from(`{"op":"publish","queue":"bench","body":"${Buffer.alloc(128, 7).toString('base64')}"}`)
const frame = Buffer.alloc(4 + json.length)
frame.writeUInt32BE(json.length)
json.copy(frame, 4)
const perChunk = Math.floor(65536 / frame.length)
const chunk = Buffer.concat(Array.from({ length: perChunk }, () => frame))
const turn = () => new Promise(setImmediate)

async function run(count) {
  for (let sent = 0; sent < count; sent += perChunk) {
    stream.push(Buffer.from(chunk))
    await turn()
    const done = commit
    nextCommit()
    done()
    await turn()
  }
}

await run(n / 3)
// Rounds of n / 5 each: the least CPU of them is the figure least moved by the machine's other work.
const rounds = []
for (let round = 0; round < 5; round++) {
  const before = process.cpuUsage()
  await run(n / 5)
  const used = process.cpuUsage(before)
  rounds.push((used.user + used.system) / (n / 5))
}
rounds.sort((a, b) => a - b)
console.log(`µs CPU per publish: least ${rounds[0].toFixed(3)}, median ${rounds[2].toFixed(3)}; ${root}`)
process.exit(0)
