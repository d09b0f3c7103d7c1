// `hubq broker` as a child process (from dist/: build first): it serves HTTP on --http-port,
// not at all with --http-port 0, and stops it on SIGTERM.
import t, { type Test } from 'tap'
import net from 'node:net'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { TestClient, tempDir } from '../helpers/broker.js'
import { parseMetrics } from './helpers.js'

const BIN = fileURLToPath(new URL('../../dist/broker/bin.js', import.meta.url))

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

interface LogLine {
  msg: string
  [key: string]: unknown
}

/** Starts the broker; resolves with the first log line whose msg matches (and the child). */
function startBroker(t: Test, args: string[], until: RegExp): Promise<{ child: ChildProcess; line: LogLine; exited: Promise<number | null> }> {
  const data = tempDir('hubq-http-cli-')
  t.teardown(() => data.remove())
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--data', data.path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    let brokerPort: unknown
    lines.on('line', (text) => {
      const line = JSON.parse(text) as LogLine
      if (/^hubq broker listening/.test(line.msg)) brokerPort = line.port
      if (until.test(line.msg)) resolve({ child, line: { ...line, brokerPort }, exited })
    })
    exited.then((code) => reject(new Error(`broker exited ${code} before logging ${until}: ${stderr}`)))
  })
}

/**
 * A free port can be taken by another test's listener between freePort() and the broker's
 * bind; the broker then exits with EADDRINUSE, and another free port is tried.
 */
async function startWithHttp(t: Test): Promise<{ httpPort: number } & Awaited<ReturnType<typeof startBroker>>> {
  for (let attempt = 1; ; attempt++) {
    const httpPort = await freePort()
    try {
      return { httpPort, ...(await startBroker(t, ['--http-port', String(httpPort)], /^hubq http on /)) }
    } catch (err) {
      if (attempt >= 5 || !/EADDRINUSE/.test(String(err))) throw err
    }
  }
}

t.test('hubq broker --http-port P serves /healthz and /metrics, and exits 0 on SIGTERM', async (t) => {
  const { httpPort, child, line, exited } = await startWithHttp(t)
  t.equal(line.port, httpPort)
  const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok' })
  const client = await TestClient.connect(line.brokerPort as number)
  t.equal((await client.request({ op: 'publish', queue: 'jobs', body: 'durable' })).ok, true)
  const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text())
  t.equal(metrics.get('hubq_connections'), 1)
  t.equal(metrics.get('hubq_queue_published_total{queue="jobs"}'), 1)
  t.equal(metrics.get('hubq_publish_confirm_seconds_count'), 1)
  t.ok((metrics.get('hubq_fsync_duration_seconds_count') ?? 0) >= 1, 'the durable log reports its fsyncs (--fsync always)')
  t.ok(metrics.has('process_resident_memory_bytes'))
  await client.close()
  child.kill('SIGTERM')
  t.equal(await exited, 0)
  await t.rejects(fetch(`http://127.0.0.1:${httpPort}/healthz`), 'HTTP closed with the broker')
})

t.test('hubq broker --http-port 0 serves no HTTP', async (t) => {
  const { child, exited } = await startBroker(t, ['--http-port', '0'], /^hubq http off/)
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})

t.test('hubq broker exits 1 with a clear message when the HTTP port is taken', async (t) => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())))
  const { port } = taken.address() as net.AddressInfo
  const data = tempDir('hubq-http-cli-')
  t.teardown(() => data.remove())
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--data', data.path, '--http-port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  t.equal(code, 1)
  t.match(stderr, new RegExp(`cannot serve HTTP on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*--http-port 0 turns it off`))
})
