// Broker settings from flags and environment (README "Options"); precise messages for bad values.
import { parseArgs } from 'node:util'
import { MAX_FRAME_CEILING } from '../shared/protocol/codec.js'
import { DEFAULT_LIMITS, type Limits } from '../shared/protocol/requests.js'
import { isSqsUrl, parseSqsUrl } from './store/sqs/url.js'
import { BODIES_IN_MEMORY } from './store/local/store.js'

export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; ms: number } | { mode: 'off' }

export interface BrokerConfig {
  host: string
  port: number
  data: string
  backend: string
  fsync: FsyncPolicy
  httpPort: number
  /** `--sqs-port` (env HUBQ_SQS_PORT): the SQS/SNS face (PROTOCOL.md §12); 0 = off. */
  sqsPort: number
  /** The port was asked for (flag or env): failing to bind it stops the broker. */
  sqsPortExplicit: boolean
  logLevel: string
  limits: Limits
  /** `--auth FILE` or `--token T` (env HUBQ_TOKEN); undefined: no authentication (PROTOCOL.md §7). */
  auth?: { file: string } | { token: string }
  /** Milliseconds a connection has to send a valid `hello` token when auth is on. */
  helloTimeoutMs: number
  /** `--tls-cert` and `--tls-key` (paths to PEM files): serve TLS (PROTOCOL.md §8). */
  tls?: { cert: string; key: string }
  /** Milliseconds a peer may leave a full write buffer unread before it is disconnected. */
  writeTimeoutMs: number
  /** Milliseconds of silence before a connection without subscriptions is closed (0 = never). */
  idleTimeoutMs: number
  /** RSS in bytes past which publishing connections are not read (0 = no watermark). */
  memoryHighBytes: number
  /** Ready messages per queue whose bodies the local store keeps in memory (PROTOCOL.md §9). */
  bodiesInMemory: number
}

export const BROKER_USAGE = `Usage: hubq broker [options]

  --host HOST            listen address (env HUBQ_HOST, default 127.0.0.1)
  --port PORT            listen port (env HUBQ_PORT, default 7400)
  --data DIR             data folder (env HUBQ_DATA, default ./data)
  --backend B            local (default) or 'sqs://?region=R[&endpoint=URL][&prefix=P]'
  --fsync POLICY         always (default) | interval:MS | off
  --http-port PORT       metrics and health port (default 7401, 0 = off)
  --sqs-port PORT        SQS and SNS API for AWS SDKs and tools (env HUBQ_SQS_PORT, default 9324,
                         0 = off; the default is skipped with a warning when it is taken)
  --max-frame BYTES      largest frame (default 1048576, at most 16777215)
  --max-message BYTES    largest message body (default 262144)
  --max-connections N    connections at once (default 10000)
  --max-batch N          messages per publish/receive batch (default 100)
  --max-queues N         queues at most (default 10000)
  --max-depth N          nesting depth of a request's JSON (default 32)
  --max-keys N           keys per JSON object in a request (default 1000)
  --auth FILE            tokens and their rights (JSON, see PROTOCOL.md §7)
  --token T              one all-powerful token (env HUBQ_TOKEN); prefer --auth: flags show in ps
  --hello-timeout MS     with auth: close a connection without a valid hello by then (default 10000)
  --tls-cert FILE        serve TLS with this PEM certificate (needs --tls-key)
  --tls-key FILE         the PEM private key of --tls-cert
  --write-timeout MS     disconnect a peer that reads nothing of a full buffer this long (default 30000)
  --idle-timeout MS     close a connection silent this long, unless it subscribes (default 600000, 0 = never)
  --memory-high MB       past this RSS, stop reading publishers until consumers drain (default 2048, 0 = off)
  --bodies-in-memory N   ready messages per queue whose bodies stay in memory; the rest are read
                         back from the log as they are taken (default 10000)
  --log-level LEVEL      fatal|error|warn|info|debug|trace|silent (default info)
  -h, --help             this text
`

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function integerOption(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${flag} must be an integer between ${min} and ${max} (got ${JSON.stringify(value)})`)
  }
  return n
}

export function parseFsync(value: string): FsyncPolicy {
  if (value === 'always' || value === 'off') return { mode: value }
  const match = /^interval:(\d+)$/.exec(value)
  if (match) return { mode: 'interval', ms: integerOption(match[1], '--fsync interval', 1, 60_000, 0) }
  throw new ConfigError(`--fsync must be always, interval:MS or off (got ${JSON.stringify(value)})`)
}

export function parseBrokerArgs(args: string[], env: NodeJS.ProcessEnv = process.env): BrokerConfig | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      backend: { type: 'string' },
      fsync: { type: 'string' },
      'http-port': { type: 'string' },
      'sqs-port': { type: 'string' },
      'max-frame': { type: 'string' },
      'max-message': { type: 'string' },
      'max-connections': { type: 'string' },
      'max-batch': { type: 'string' },
      'max-queues': { type: 'string' },
      'max-depth': { type: 'string' },
      'max-keys': { type: 'string' },
      auth: { type: 'string' },
      token: { type: 'string' },
      'hello-timeout': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'write-timeout': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'memory-high': { type: 'string' },
      'bodies-in-memory': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  const maxFrame = integerOption(values['max-frame'], '--max-frame', 64, MAX_FRAME_CEILING, DEFAULT_LIMITS.maxFrame)
  const limits: Limits = {
    maxFrame,
    maxMessage: integerOption(values['max-message'], '--max-message', 1, maxFrame, Math.min(DEFAULT_LIMITS.maxMessage, maxFrame)),
    maxConnections: integerOption(values['max-connections'], '--max-connections', 1, 1_000_000, DEFAULT_LIMITS.maxConnections),
    maxBatch: integerOption(values['max-batch'], '--max-batch', 1, 10_000, DEFAULT_LIMITS.maxBatch),
    maxQueues: integerOption(values['max-queues'], '--max-queues', 1, 10_000_000, DEFAULT_LIMITS.maxQueues),
    maxDepth: integerOption(values['max-depth'], '--max-depth', 2, 1000, DEFAULT_LIMITS.maxDepth),
    maxKeys: integerOption(values['max-keys'], '--max-keys', 50, 1_000_000, DEFAULT_LIMITS.maxKeys),
  }
  const token = values.token ?? env.HUBQ_TOKEN
  if (values.auth !== undefined && token !== undefined) throw new ConfigError('--auth and --token (or HUBQ_TOKEN) exclude each other')
  // Never quote the token back: it would land in a terminal's scrollback or a log.
  if (token !== undefined && token.length < 8) throw new ConfigError('--token must be at least 8 characters')
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new ConfigError('--tls-cert and --tls-key go together')
  const logLevel = values['log-level'] ?? 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of fatal, error, warn, info, debug, trace, silent`)
  }
  const backend = values.backend ?? 'local'
  if (backend !== 'local') {
    if (!isSqsUrl(backend)) throw new ConfigError(`--backend must be local or an sqs:// URL (got ${JSON.stringify(backend)})`)
    try {
      parseSqsUrl(backend)
    } catch (err) {
      throw new ConfigError(`--backend: ${(err as Error).message}`)
    }
  }
  return {
    host: values.host ?? env.HUBQ_HOST ?? '127.0.0.1',
    port: integerOption(values.port ?? env.HUBQ_PORT, '--port', 0, 65_535, 7400),
    data: values.data ?? env.HUBQ_DATA ?? './data',
    backend,
    fsync: parseFsync(values.fsync ?? 'always'),
    httpPort: integerOption(values['http-port'], '--http-port', 0, 65_535, 7401),
    sqsPort: integerOption(values['sqs-port'] ?? env.HUBQ_SQS_PORT, '--sqs-port', 0, 65_535, 9324),
    sqsPortExplicit: (values['sqs-port'] ?? env.HUBQ_SQS_PORT) !== undefined,
    logLevel,
    limits,
    ...(values.auth !== undefined ? { auth: { file: values.auth } } : token !== undefined ? { auth: { token } } : {}),
    helloTimeoutMs: integerOption(values['hello-timeout'], '--hello-timeout', 100, 600_000, 10_000),
    writeTimeoutMs: integerOption(values['write-timeout'], '--write-timeout', 100, 3_600_000, 30_000),
    idleTimeoutMs: integerOption(values['idle-timeout'], '--idle-timeout', 0, 86_400_000, 600_000),
    memoryHighBytes: integerOption(values['memory-high'], '--memory-high', 0, 1_048_576, 2048) * 1024 * 1024,
    bodiesInMemory: integerOption(values['bodies-in-memory'], '--bodies-in-memory', 0, 1_000_000_000, BODIES_IN_MEMORY),
    ...(values['tls-cert'] !== undefined && values['tls-key'] !== undefined ? { tls: { cert: values['tls-cert'], key: values['tls-key'] } } : {}),
  }
}
