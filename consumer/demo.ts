// `npm run demo`: a broker, one producer and two competing workers as separate processes, their
// output interleaved with a prefix each. One worker is killed in the middle of a message, and the
// broker hands that message to the other worker. Everything stops once every message is acked.
// The same file runs the roles: `demo.js producer URL COUNT` and `demo.js worker NAME URL`.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Producer } from '../producer/index.js'
import { Consumer } from './index.js'

const MESSAGES = 12
const HANDLER_MS = 300
const PUBLISH_GAP_MS = 100
/** The worker that gets killed, on its this-many-th message. */
const VICTIM = 'worker-a'
const KILL_ON = 3

const self = fileURLToPath(import.meta.url)
const bin = join(self, '..', '..', 'broker', 'bin.js')
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function producerRole(url: string, count: number): Promise<void> {
  const producer = await Producer.connect({ url })
  for (let n = 1; n <= count; n++) {
    const mid = await producer.publish('demo', { n })
    console.log(`published #${n} as ${mid.slice(-8)}`)
    await sleep(PUBLISH_GAP_MS)
  }
  await producer.close()
  console.log('done publishing')
}

async function workerRole(url: string): Promise<void> {
  const consumer = await Consumer.start<{ n: number }>({
    url,
    queue: 'demo',
    prefetch: 1,
    handler: async (m) => {
      console.log(`got #${m.body.n}${m.receives > 1 ? ` (redelivery, delivery ${m.receives})` : ''}`)
      await sleep(HANDLER_MS)
    },
  })
  consumer.on('processed', (m) => console.log(`acked #${m.body.n}`))
  process.once('SIGTERM', () => void consumer.stop().then(() => console.log('stopped')))
}

function run(name: string, args: string[], onLine: (line: string) => void = () => {}): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const tag = `[${name}]`.padEnd(11)
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => {
      console.log(`${tag} ${line}`)
      onLine(line)
    })
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return { child, exited }
}

async function orchestrate(): Promise<number> {
  const data = mkdtempSync(join(tmpdir(), 'hubq-demo-'))
  const children: ChildProcess[] = []
  const deadline = setTimeout(() => {
    console.log('[demo]      gave up after 30 s')
    for (const child of children) child.kill('SIGKILL')
    process.exit(1)
  }, 30_000)
  try {
    let listening!: (port: number) => void
    const port = new Promise<number>((resolve) => (listening = resolve))
    const broker = spawn(process.execPath, [bin, 'broker', '--port', '0', '--http-port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'] })
    children.push(broker)
    const brokerExited = new Promise<void>((resolve) => broker.once('exit', () => resolve()))
    createInterface({ input: broker.stdout }).on('line', (line) => {
      // The broker logs JSON; show its message, and learn the port from the first line that has one.
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number }
        if (entry.msg) console.log(`${'[broker]'.padEnd(11)} ${entry.msg}`)
        if (typeof entry.port === 'number') listening(entry.port)
      } catch {
        console.log(`${'[broker]'.padEnd(11)} ${line}`)
      }
    })
    const url = `hubq://127.0.0.1:${await port}`

    const acked = new Set<string>()
    let allAcked!: () => void
    const finished = new Promise<void>((resolve) => (allAcked = resolve))
    const workers = new Map<string, { child: ChildProcess; exited: Promise<void> }>()
    let victimGot = 0
    const onWorkerLine = (name: string) => (line: string): void => {
      const ack = /^acked #(\d+)/.exec(line)
      if (ack) {
        acked.add(ack[1] as string)
        if (acked.size === MESSAGES) allAcked()
      }
      if (name === VICTIM && line.startsWith('got #') && ++victimGot === KILL_ON) {
        console.log(`${'[demo]'.padEnd(11)} killing ${VICTIM} (SIGKILL) in the middle of that message`)
        workers.get(VICTIM)?.child.kill('SIGKILL')
      }
    }
    for (const name of ['worker-a', 'worker-b']) {
      const worker = run(name, [self, 'worker', name, url], onWorkerLine(name))
      workers.set(name, worker)
      children.push(worker.child)
    }
    const producer = run('producer', [self, 'producer', url, String(MESSAGES)])
    children.push(producer.child)

    await finished
    await producer.exited
    console.log(`${'[demo]'.padEnd(11)} all ${MESSAGES} messages acked; stopping`)
    for (const worker of workers.values()) worker.child.kill('SIGTERM')
    await Promise.all([...workers.values()].map((w) => w.exited))
    broker.kill('SIGTERM')
    await brokerExited
    return 0
  } finally {
    clearTimeout(deadline)
    rmSync(data, { recursive: true, force: true })
  }
}

const [role, ...args] = process.argv.slice(2)
if (role === 'producer') await producerRole(args[0] as string, Number(args[1]))
else if (role === 'worker') await workerRole(args[1] as string)
else process.exitCode = await orchestrate()
