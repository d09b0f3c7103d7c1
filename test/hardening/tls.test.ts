// TLS on the broker's port (PROTOCOL.md §8): the libraries over hubqs://, openssl s_client as
// the netcat of TLS, and the wrong kind of client failing fast on either kind of port.
import t from 'tap'
import net from 'node:net'
import tls from 'node:tls'
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { tempDir, TestClient } from '../helpers/broker.js'
import { Producer } from '../../producer/index.js'
import { Consumer } from '../../consumer/index.js'
import type { Message } from '../../shared/client/backend.js'
import { readTlsFiles } from '../../broker/net/tls-files.js'
import { startHardened } from './helpers.js'
import { WatchedClock } from '../helpers/clock.js'
import { Broker } from '../../broker/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { LogJournal } from '../../broker/store/log/journal.js'

const dir = tempDir('hubq-tls-')
t.teardown(() => dir.remove())
const certPath = join(dir.path, 'cert.pem')
const keyPath = join(dir.path, 'key.pem')
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
  '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' })
const cert = readFileSync(certPath)
const files = readTlsFiles({ cert: certPath, key: keyPath })

t.test('Producer and Consumer round trip over hubqs:// with the test CA', async (t) => {
  const b = await startHardened({ tls: files })
  t.teardown(() => b.stop())
  const url = `hubqs://127.0.0.1:${b.port}`
  const producer = await Producer.connect({ url, tls: { ca: cert } })
  t.teardown(() => producer.close())
  const got: Message[] = []
  let done!: () => void
  const all = new Promise<void>((resolve) => (done = resolve))
  const consumer = await Consumer.start({
    url, tls: { ca: cert }, queue: 'secure', handler: async (m) => {
      got.push(m)
      if (got.length === 3) done()
    },
  })
  for (let i = 0; i < 3; i++) await producer.publish('secure', { i })
  await all
  await consumer.stop()
  t.same(got.map((m) => m.body), [{ i: 0 }, { i: 1 }, { i: 2 }])
  // Without the CA the self-signed certificate is refused.
  await t.rejects(Producer.connect({ url, reconnect: { attempts: 0 } }), { message: /self-signed|self signed/ })
})

t.test('openssl s_client -quiet is the netcat of TLS', async (t) => {
  const b = await startHardened({ tls: files })
  t.teardown(() => b.stop())
  const client = spawn('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${b.port}`], { stdio: ['pipe', 'pipe', 'ignore'] })
  t.teardown(() => client.kill())
  let out = ''
  const replied = new Promise<void>((resolve) => client.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    if (out.split('\n').length > 2) resolve()
  }))
  client.stdin.write('{"op":"publish","id":1,"queue":"q","body":"over tls"}\n{"op":"receive","id":2,"queue":"q"}\n')
  await replied
  const [publish, receive] = out.trim().split('\n').map((line) => JSON.parse(line))
  t.match(publish, { id: 1, ok: true })
  t.match(receive, { id: 2, ok: true, messages: [{ body: 'over tls' }] })
})

t.test('a plaintext client on the TLS port is closed at its first bytes', async (t) => {
  const b = await startHardened({ tls: files })
  t.teardown(() => b.stop())
  const heapBefore = process.memoryUsage().heapUsed
  for (const bytes of [Buffer.from('{"op":"ping"}\n'), Buffer.from('\x00\x00\x00\x18{"op":"ping","id":"bin"}', 'latin1'), Buffer.from([0x16, 3, 1, 0xff, 0xff])]) {
    const started = Date.now()
    const socket = net.connect({ host: '127.0.0.1', port: b.port })
    await once(socket, 'connect')
    let received = 0
    socket.on('data', (chunk: Buffer) => (received += chunk.length))
    socket.on('error', () => {})
    socket.write(bytes)
    await once(socket, 'close')
    t.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`)
    t.ok(received < 100, 'at most a TLS alert came back')
  }
  t.equal(b.broker.connections, 0, 'no session was ever made')
  t.ok(process.memoryUsage().heapUsed - heapBefore < 8 * 1024 * 1024, 'no large allocation for a declared length')
})

t.test('a TLS client on a plaintext port is told so and closed at once', async (t) => {
  const b = await startHardened()
  t.teardown(() => b.stop())
  const started = Date.now()
  const socket = tls.connect({ host: '127.0.0.1', port: b.port, rejectUnauthorized: false })
  const [err] = await once(socket, 'error') as [Error]
  t.match(err.message, /wrong version number|packet length too long|EPROTO|ECONNRESET|socket disconnected/i)
  t.ok(Date.now() - started < 2000, `failed in ${Date.now() - started} ms`)
  // The same bytes seen raw: one text line saying why, then the close.
  const raw = await TestClient.connect(b.port, 'text')
  raw.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))
  t.match(await raw.reply(), { ok: false, error: { code: 'bad_request', message: /not TLS/ } })
  await raw.closed
})

t.test('over TLS too, a client that ends its side after pipelined requests gets every reply, then the close', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  // The log journal fsyncs each publish before its reply: those replies come after the client's end.
  const broker = new Broker({ store: new LocalStore({ journal: new LogJournal({ dir: data.path }) }), tls: files })
  const { port } = await broker.start(0)
  t.teardown(() => broker.stop())
  const socket = tls.connect({ host: '127.0.0.1', port, ca: cert })
  await once(socket, 'secureConnect')
  let out = ''
  socket.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const requests = [{ op: 'ping', id: 1 }, { op: 'publish', id: 2, queue: 'q', body: 1 }, { op: 'declare', id: 3, queue: 'd' },
    { op: 'publish', id: 4, queue: 'q', messages: [{ body: 2 }, { body: 3 }] }, { op: 'stats', id: 5, queue: 'q' }]
  socket.end(requests.map((r) => JSON.stringify(r) + '\n').join(''))
  await once(socket, 'close')
  const replies = out.trim().split('\n').map((line) => JSON.parse(line))
  t.same(replies.map((r) => [r.id, r.ok]), [[1, true], [2, true], [3, true], [4, true], [5, true]])
  t.match(replies[4], { queues: [{ queue: 'q', ready: 3 }] })
})

t.test('a peer that starts a TLS handshake and stalls is dropped at the handshake deadline', async (t) => {
  const clock = new WatchedClock()
  const b = await startHardened({ tls: files, clock })
  t.teardown(() => b.stop())
  const armed = clock.timerSet(10_000)
  const stalled = net.connect({ port: b.port, host: '127.0.0.1' })
  t.teardown(() => stalled.destroy())
  stalled.on('error', () => {})
  await once(stalled, 'connect')
  // Half a record header: Node's own handshake timeout has not started, ours has.
  stalled.write(Buffer.from([0x16, 0x03]))
  await armed
  // Dropped with its bytes unread, so the close may come as a reset.
  const closed = new Promise((resolve) => stalled.once('close', resolve))
  clock.advance(10_000)
  await closed
  t.equal(b.broker.connections, 0, 'it never became a connection')
})
