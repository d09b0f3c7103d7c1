// `npm run bench:sqs [-- --n 20000 --size 128 --inflight 8 --fsync always --only hubq,fauxqs,null --json]`
// The SQS face through the AWS SDK v3, beside fauxqs 1.9.2 in this process, with the same client
// settings in the same run: S1 sends N messages as SendMessageBatch of 10 with `inflight` batches
// under way; S2 takes them back with ReceiveMessage of 10 + DeleteMessageBatch, `inflight`
// receivers at once. hubq runs as a child process on a fresh data dir (confirmations fsynced with
// `--fsync always`); fauxqs keeps everything in memory. `null`, only when named in --only, is a
// child process that answers without doing anything (sqs-null-server.mjs): the client's own ceiling.
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { buildApp } from 'fauxqs'
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import { freePort, startBroker } from './broker-process.mjs'

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    n: { type: 'string' },
    size: { type: 'string' },
    inflight: { type: 'string' },
    fsync: { type: 'string' },
    only: { type: 'string' },
  },
})
const cfg = {
  n: Number(values.n ?? process.env.N ?? 20_000),
  size: Number(values.size ?? process.env.SIZE ?? 128),
  inflight: Number(values.inflight ?? process.env.INFLIGHT ?? 8),
  fsync: values.fsync ?? process.env.FSYNC ?? 'always',
}
const targets = (values.only ?? 'hubq,fauxqs').split(',')


function client(endpoint) {
  return new SQSClient({ endpoint, region: 'us-east-1', maxAttempts: 3, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } })
}

const body = 'x'.repeat(cfg.size)

/** S1: N messages in batches of 10, `inflight` batches under way. */
async function send(sqs, QueueUrl) {
  const batches = Math.ceil(cfg.n / 10)
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < batches) {
      const b = next++
      const count = Math.min(10, cfg.n - b * 10)
      const Entries = Array.from({ length: count }, (_, i) => ({ Id: `m${i}`, MessageBody: body }))
      const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }))
      if (r.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(r.Failed[0])}`)
    }
  }
  await Promise.all(Array.from({ length: cfg.inflight }, worker))
  const s = (performance.now() - started) / 1000
  return { rate: cfg.n / s, seconds: s }
}

/** S2: ReceiveMessage of 10 + DeleteMessageBatch, `inflight` receivers, until N were deleted. */
async function receive(sqs, QueueUrl) {
  let deleted = 0
  const started = performance.now()
  const worker = async () => {
    while (deleted < cfg.n) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }))
      const messages = r.Messages ?? []
      if (messages.length === 0) continue
      const d = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }))
      if (d.Failed?.length) throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(d.Failed[0])}`)
      deleted += messages.length
    }
  }
  await Promise.all(Array.from({ length: cfg.inflight }, worker))
  const s = (performance.now() - started) / 1000
  return { rate: deleted / s, seconds: s }
}

async function run(endpoint) {
  const sqs = client(endpoint)
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }))
    const cpu0 = process.cpuUsage()
    const s1 = await send(sqs, QueueUrl)
    const s2 = await receive(sqs, QueueUrl)
    const cpu = process.cpuUsage(cpu0)
    return { s1, s2, processCpuS: (cpu.user + cpu.system) / 1e6 }
  } finally {
    sqs.destroy()
  }
}

const results = {}
if (targets.includes('hubq')) {
  const sqsPort = await freePort()
  const broker = await startBroker({ args: ['--fsync', cfg.fsync, '--sqs-port', String(sqsPort)] })
  try {
    const server0 = broker.usage().cpuS
    results.hubq = await run(`http://127.0.0.1:${sqsPort}`)
    results.hubq.serverCpuS = +(broker.usage().cpuS - server0).toFixed(2)
    results.hubq.serverPeakRssMb = +broker.usage().peakRssMb.toFixed(1)
  } finally {
    await broker.stop()
  }
}
if (targets.includes('fauxqs')) {
  const app = buildApp({ logger: false })
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' })
  try {
    results.fauxqs = await run(endpoint)
  } finally {
    await app.close()
  }
}

if (targets.includes('null')) {
  // The same client against a server that does nothing but answer: the client's own ceiling.
  const child = spawn(process.execPath, [new URL('./sqs-null-server.mjs', import.meta.url).pathname, String(cfg.size)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))))
  try {
    results.null = await run(`http://127.0.0.1:${port}`)
  } finally {
    child.kill('SIGTERM')
  }
}

if (values.json) {
  console.log(JSON.stringify({ date: new Date().toISOString(), config: cfg, results }))
} else {
  const fmt = (v) => (v === undefined ? '' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2))
  console.log(`hubq bench:sqs: N=${cfg.n} SIZE=${cfg.size} INFLIGHT=${cfg.inflight} fsync=${cfg.fsync} (hubq: child process; fauxqs: in this process, in memory)`)
  const rows = [['server', 'S1 SendMessageBatch msg/s', 'S2 Receive+DeleteBatch msg/s', 'server CPU s', 'server peak RSS MB', 'this process CPU s']]
  for (const [name, r] of Object.entries(results)) rows.push([name, fmt(r.s1.rate), fmt(r.s2.rate), fmt(r.serverCpuS), fmt(r.serverPeakRssMb), fmt(r.processCpuS)])
  if (results.hubq && results.fauxqs) rows.push(['hubq / fauxqs', `${(results.hubq.s1.rate / results.fauxqs.s1.rate).toFixed(2)}×`, `${(results.hubq.s2.rate / results.fauxqs.s2.rate).toFixed(2)}×`, '', '', ''])
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)))
  for (const [i, row] of rows.entries()) {
    console.log('| ' + row.map((c, j) => String(c).padEnd(widths[j])).join(' | ') + ' |')
    if (i === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  }
}
