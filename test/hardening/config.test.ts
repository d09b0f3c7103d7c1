// The hardening flags of `hubq broker` (README "Auth and TLS", PROTOCOL.md §3, §7, §8).
import t from 'tap'
import { parseBrokerArgs, type BrokerConfig } from '../../broker/config.js'

const parse = (args: string[], env: NodeJS.ProcessEnv = {}): BrokerConfig => parseBrokerArgs(args, env) as BrokerConfig

t.test('defaults: no auth, no TLS, the limits of PROTOCOL.md §3', async (t) => {
  const config = parse([])
  t.equal(config.auth, undefined)
  t.equal(config.tls, undefined)
  t.equal(config.helloTimeoutMs, 10_000)
  t.match(config.limits, { maxQueues: 10_000, maxDepth: 32, maxKeys: 1000 })
  t.equal(config.bodiesInMemory, 10_000)
})

t.test('flags and their errors', async (t) => {
  t.same(parse(['--auth', '/etc/hubq/auth.json']).auth, { file: '/etc/hubq/auth.json' })
  t.same(parse(['--token', 'long-token-1']).auth, { token: 'long-token-1' })
  t.same(parse([], { HUBQ_TOKEN: 'env-token-12' }).auth, { token: 'env-token-12' })
  t.same(parse(['--tls-cert', 'c.pem', '--tls-key', 'k.pem']).tls, { cert: 'c.pem', key: 'k.pem' })
  t.match(parse(['--max-queues', '5', '--max-depth', '8', '--max-keys', '60', '--hello-timeout', '500']), {
    limits: { maxQueues: 5, maxDepth: 8, maxKeys: 60 }, helloTimeoutMs: 500,
  })
  t.throws(() => parse(['--auth', 'f', '--token', 'long-token-1']), /exclude each other/)
  t.throws(() => parse(['--token', 'short']), { message: '--token must be at least 8 characters' })
  t.throws(() => parse(['--tls-cert', 'c.pem']), /go together/)
  t.throws(() => parse(['--max-queues', '0']), /--max-queues must be an integer between 1 and/)
  t.throws(() => parse(['--max-depth', '1']), /--max-depth must be an integer between 2 and 1000/)
  t.equal(parse(['--bodies-in-memory', '0']).bodiesInMemory, 0)
  t.throws(() => parse(['--bodies-in-memory', 'all']), /--bodies-in-memory must be an integer between 0 and/)
})
