// A client pointed at hubq's HTTP port by mistake says so and names the protocol port.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { Producer } from '../../producer/index.js'
import { tempDir } from '../helpers/broker.js'

const BIN = fileURLToPath(new URL('../../dist/broker/bin.js', import.meta.url))

t.test("hubq stats and the Producer on the HTTP port: \"that is hubq's HTTP port; the protocol port is …\"", async (t) => {
  const data = tempDir('hubq-http-port-')
  t.teardown(() => data.remove())
  const free = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
  const broker = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--http-port', String(free), '--data', data.path], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => {
    if (broker.exitCode === null) broker.kill('SIGKILL')
  })
  const ports = await new Promise<{ protocol: number; http: number }>((resolve) => {
    let protocol = 0
    createInterface({ input: broker.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; port: number }
      if (/^hubq broker listening/.test(entry.msg)) protocol = entry.port
      if (/^hubq http on/.test(entry.msg)) resolve({ protocol, http: entry.port })
    })
  })
  const expected = `that is hubq's HTTP port; the protocol port is ${ports.protocol}`
  const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, 'stats', '--url', `hubq://127.0.0.1:${ports.http}`], { timeout: 15_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr })
    })
  })
  t.equal(run.code, 1)
  t.equal(run.stderr, `hubq stats: hubq://127.0.0.1:${ports.http}: ${expected} (unavailable)\n`)
  await t.rejects(Producer.connect({ url: `hubq://127.0.0.1:${ports.http}` }), { code: 'unavailable', message: `hubq://127.0.0.1:${ports.http}: ${expected}` })
})
