// Every `hubq broker` flag has its environment variable: HUBQ_ and the flag in capitals, `-` as `_`
// (README "Broker options"); a flag beats its variable.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { BROKER_USAGE, parseBrokerArgs, type BrokerConfig } from '../../broker/config.js'
import { tempDir } from '../helpers/broker.js'

const BIN = fileURLToPath(new URL('../../dist/broker/bin.js', import.meta.url))
const parse = (args: string[], env: NodeJS.ProcessEnv): BrokerConfig => parseBrokerArgs(args, env) as BrokerConfig

/** A value each flag accepts, and where it lands in the config. */
const SAMPLES: Record<string, [string, (c: BrokerConfig) => unknown, unknown]> = {
  host: ['0.0.0.0', (c) => c.host, '0.0.0.0'],
  port: ['7500', (c) => c.port, 7500],
  data: ['/tmp/x', (c) => c.data, '/tmp/x'],
  backend: ['sqs://?region=eu-west-1', (c) => c.backend, 'sqs://?region=eu-west-1'],
  fsync: ['interval:50', (c) => c.fsync, { mode: 'interval', ms: 50 }],
  'http-port': ['7501', (c) => c.httpPort, 7501],
  'sqs-port': ['9501', (c) => c.sqsPort, 9501],
  'max-frame': ['2000000', (c) => c.limits.maxFrame, 2_000_000],
  'max-message': ['1000', (c) => c.limits.maxMessage, 1000],
  'max-connections': ['7', (c) => c.limits.maxConnections, 7],
  'max-batch': ['9', (c) => c.limits.maxBatch, 9],
  'max-queues': ['11', (c) => c.limits.maxQueues, 11],
  'max-depth': ['12', (c) => c.limits.maxDepth, 12],
  'max-keys': ['99', (c) => c.limits.maxKeys, 99],
  auth: ['/etc/hubq/auth.json', (c) => c.auth, { file: '/etc/hubq/auth.json' }],
  token: ['long-token-1', (c) => c.auth, { token: 'long-token-1' }],
  'hello-timeout': ['500', (c) => c.helloTimeoutMs, 500],
  'tls-cert': ['c.pem', (c) => c.tls?.cert, 'c.pem'],
  'tls-key': ['k.pem', (c) => c.tls?.key, 'k.pem'],
  'write-timeout': ['1000', (c) => c.writeTimeoutMs, 1000],
  'idle-timeout': ['0', (c) => c.idleTimeoutMs, 0],
  'memory-high': ['64', (c) => c.memoryHighBytes, 64 * 1024 * 1024],
  'bodies-in-memory': ['5', (c) => c.bodiesInMemory, 5],
  'log-level': ['warn', (c) => c.logLevel, 'warn'],
}

const envName = (flag: string): string => 'HUBQ_' + flag.toUpperCase().replaceAll('-', '_')

t.test('every flag in the usage text is read from HUBQ_<FLAG> too, and the flag beats it', async (t) => {
  const flags = [...BROKER_USAGE.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1] as string).filter((f) => f !== 'help')
  t.same(flags.toSorted(), Object.keys(SAMPLES).toSorted(), 'the samples cover every flag of the usage text')
  for (const flag of flags) {
    const [value, read, expected] = SAMPLES[flag]!
    // Flags that only work in pairs get their partner from the environment too.
    const env: NodeJS.ProcessEnv = { [envName(flag)]: value }
    if (flag === 'tls-cert') env.HUBQ_TLS_KEY = 'k.pem'
    if (flag === 'tls-key') env.HUBQ_TLS_CERT = 'c.pem'
    t.same(read(parse([], env)), expected, `${envName(flag)} sets --${flag}`)
    t.ok(BROKER_USAGE.includes(envName(flag)), `the usage text names ${envName(flag)}`)
  }
  t.equal(parse(['--http-port', '7600'], { HUBQ_HTTP_PORT: '7501' }).httpPort, 7600, 'the flag wins')
  t.equal(parse([], { HUBQ_HTTP_PORT: '' }).httpPort, 7401, 'an empty variable is no variable')
  t.throws(() => parse([], { HUBQ_HTTP_PORT: 'x' }), { message: '--http-port (HUBQ_HTTP_PORT) must be an integer between 0 and 65535 (got "x")' })
})

t.test('a second broker started with HUBQ_PORT and HUBQ_HTTP_PORT does not collide with the first', async (t) => {
  const free = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
  const data = tempDir('hubq-env-')
  t.teardown(() => data.remove())
  const child = spawn(process.execPath, [BIN, 'broker'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HUBQ_PORT: '0', HUBQ_HTTP_PORT: String(free), HUBQ_DATA: data.path, HUBQ_FSYNC: 'off' },
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const http = await new Promise<{ port: number }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; port: number }
      if (/^hubq http on/.test(entry.msg)) resolve(entry)
    })
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)))
  })
  t.equal(http.port, free, 'HTTP on the port HUBQ_HTTP_PORT names')
  t.equal((await fetch(`http://127.0.0.1:${free}/healthz`)).status, 200)
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})
