// Cloud mode end to end: `hubq broker --backend sqs://…` (the built command, as users run it) on
// fauxqs, driven over TCP in text mode exactly as an nc user would. The broker keeps no queue
// state: a second broker on the same prefix sees the same queues.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { TestClient, type Frame } from '../../helpers/broker.js'
import { REGION, startFauxqs, uniquePrefix } from '../../helpers/fauxqs.js'

const BIN = fileURLToPath(new URL('../../../dist/broker/bin.js', import.meta.url))
const fauxqs = await startFauxqs()
t.teardown(() => fauxqs.stop())

async function startCloudBroker(t: Test, prefix: string, flags: string[] = []): Promise<number> {
  const backend = `sqs://?region=${REGION}&endpoint=${encodeURIComponent(fauxqs.endpoint)}&prefix=${prefix}`
  const child: ChildProcess = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--http-port', '0', '--backend', backend, ...flags], {
    // Credentials come from the standard AWS environment variables.
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: REGION },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })
  const log: Frame[] = []
  return new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: Frame
      try {
        entry = JSON.parse(line) as Frame
      } catch {
        return
      }
      log.push(entry)
      const match = /^hubq broker listening on (.+):(\d+)$/.exec(String(entry.msg))
      if (match) resolve(Number(match[2]))
    })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`broker exited ${code}: ${stderr} ${JSON.stringify(log)}`)))
  })
}

async function ok(c: TestClient, frame: Frame): Promise<Frame> {
  const reply = await c.request(frame)
  if (reply.ok !== true) throw new Error(`${frame.op} failed: ${JSON.stringify(reply.error)}`)
  return reply
}

t.test('hubq broker --backend sqs:// serves text-mode clients unchanged', { skip: existsSync(BIN) ? false : 'run npx tsc -p . first' }, async (t) => {
  const prefix = uniquePrefix('e2e')
  const port = await startCloudBroker(t, prefix)
  const c = await TestClient.connect(port, 'text')
  t.teardown(() => c.close())

  t.match(await ok(c, { op: 'hello', id: 1 }), { server: 'hubq', protocol: 1 })
  t.match(await ok(c, { op: 'declare', id: 2, queue: 'jobs', visibilityTimeout: 10 }), { queue: 'jobs', created: true })
  const { mid } = await ok(c, { op: 'publish', id: 3, queue: 'jobs', body: { task: 'resize' }, attrs: { size: 'L' } })
  const got = await ok(c, { op: 'receive', id: 4, queue: 'jobs', wait: 2 })
  t.match(got.messages, [{ mid, queue: 'jobs', body: { task: 'resize' }, attrs: { size: 'L' }, receives: 1 }])
  t.same(await ok(c, { op: 'ack', id: 5, receipt: got.messages[0].receipt }), { id: 5, ok: true, acked: 1 })

  await ok(c, { op: 'topic', topic: 'news' })
  await ok(c, { op: 'bind', topic: 'news', queue: 'everything' })
  await ok(c, { op: 'bind', topic: 'news', queue: 'sport', filter: { kind: ['sport'] } })
  await ok(c, { op: 'publish', topic: 'news', messages: [{ body: 'goal', attrs: { kind: 'sport' } }, { body: 'rain', attrs: { kind: 'weather' } }] })
  t.same((await ok(c, { op: 'receive', queue: 'everything', max: 10, wait: 2 })).messages.map((m: Frame) => m.body), ['goal', 'rain'])
  const sport = await ok(c, { op: 'subscribe', queue: 'sport', prefetch: 4 })
  const [pushed] = await c.waitDeliveries(1)
  t.match(pushed, { op: 'deliver', sub: sport.sub, body: 'goal', attrs: { kind: 'sport' } })
  await ok(c, { op: 'ack', receipt: pushed?.receipt })

  t.match(await c.request({ op: 'peek', queue: 'jobs' }), { ok: false, error: { code: 'bad_request', message: /SQS/ } })
  const stats = await ok(c, { op: 'stats' })
  t.same(stats.queues.map((q: Frame) => q.queue).sort(), ['everything', 'jobs', 'sport'])

  // The queues live in SQS, not in the broker: a second broker on the same prefix sees them.
  await ok(c, { op: 'publish', queue: 'jobs', body: 'for the other broker' })
  const otherPort = await startCloudBroker(t, prefix)
  const other = await TestClient.connect(otherPort, 'text')
  t.teardown(() => other.close())
  t.same((await ok(other, { op: 'receive', queue: 'jobs', wait: 2 })).messages.map((m: Frame) => m.body), ['for the other broker'])
})

t.test('--max-queues holds in cloud mode, and brokers on one prefix share it', { skip: existsSync(BIN) ? false : 'run npx tsc -p . first' }, async (t) => {
  const prefix = uniquePrefix('e2emq')
  const c = await TestClient.connect(await startCloudBroker(t, prefix, ['--max-queues', '2']), 'text')
  t.teardown(() => c.close())
  t.match(await ok(c, { op: 'hello', id: 1 }), { limits: { maxQueues: 2 } })
  await ok(c, { op: 'publish', id: 2, queue: 'one', body: 1 })
  const other = await TestClient.connect(await startCloudBroker(t, prefix, ['--max-queues', '2']), 'text')
  t.teardown(() => other.close())
  await ok(other, { op: 'declare', id: 3, queue: 'two' })
  t.match(await c.request({ op: 'declare', id: 4, queue: 'three' }), {
    id: 4, ok: false, error: { code: 'limit', message: 'too many queues (max-queues 2): cannot create three' },
  })
  t.match(await other.request({ op: 'receive', id: 5, queue: 'three' }), { id: 5, ok: false, error: { code: 'limit' } })
  t.same((await ok(c, { op: 'receive', id: 6, queue: 'one' })).messages.map((m: Frame) => m.body), [1], 'existing queues work on')
})

t.test('a bad sqs:// URL stops the broker with a clear message', { skip: existsSync(BIN) ? false : 'run npx tsc -p . first' }, async (t) => {
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--http-port', '0', '--backend', 'sqs://?endpoint=http://127.0.0.1:1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.not(code, 0)
  t.match(stderr, /needs region=R/)
})
