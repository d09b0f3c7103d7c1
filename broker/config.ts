// Broker settings from flags and environment (README "Options"); precise messages for bad values.
import { parseArgs } from 'node:util'
import { MAX_FRAME_CEILING } from '../shared/protocol/codec.js'
import { DEFAULT_LIMITS, type Limits } from '../shared/protocol/requests.js'
import { isSqsUrl, parseSqsUrl } from '../shared/sqs/url.js'
import { BODIES_IN_MEMORY } from './store/local/store.js'
import type { FsyncPolicy } from './store/log/policy.js'

export type { FsyncPolicy }

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

Every flag can be set in the environment instead: HUBQ_ and the flag's name in capitals, '-' as
'_' (--http-port 7402 is HUBQ_HTTP_PORT=7402). A flag beats its variable.

  --host HOST            HUBQ_HOST             listen address (default 127.0.0.1)
  --port PORT            HUBQ_PORT             listen port (default 7400)
  --data DIR             HUBQ_DATA             data folder (default ./data)
  --backend B            HUBQ_BACKEND          local (default) or 'sqs://?region=R[&endpoint=URL][&prefix=P]'
  --fsync POLICY         HUBQ_FSYNC            always (default) | interval:MS | off
  --http-port PORT       HUBQ_HTTP_PORT        metrics, health and console port (default 7401, 0 = off)
  --sqs-port PORT        HUBQ_SQS_PORT         SQS and SNS API for AWS SDKs and tools (default 9324, 0 = off;
                                               the default is skipped with a warning when it is taken)
  --max-frame BYTES      HUBQ_MAX_FRAME        largest frame (default 1048576, at most 16777215)
  --max-message BYTES    HUBQ_MAX_MESSAGE      largest message body (default 262144)
  --max-connections N    HUBQ_MAX_CONNECTIONS  connections at once (default 10000)
  --max-batch N          HUBQ_MAX_BATCH        messages per publish/receive batch (default 100)
  --max-queues N         HUBQ_MAX_QUEUES       queues at most (default 10000)
  --max-depth N          HUBQ_MAX_DEPTH        nesting depth of a request's JSON (default 32)
  --max-keys N           HUBQ_MAX_KEYS         keys per JSON object in a request (default 1000)
  --auth FILE            HUBQ_AUTH             tokens and their rights (JSON, see PROTOCOL.md §7)
  --token T              HUBQ_TOKEN            one all-powerful token; prefer the variable or --auth: flags show in ps
  --hello-timeout MS     HUBQ_HELLO_TIMEOUT    with auth: close a connection without a valid hello by then (default 10000)
  --tls-cert FILE        HUBQ_TLS_CERT         serve TLS with this PEM certificate (needs --tls-key)
  --tls-key FILE         HUBQ_TLS_KEY          the PEM private key of --tls-cert
  --write-timeout MS     HUBQ_WRITE_TIMEOUT    disconnect a peer that reads nothing of a full buffer this long (default 30000)
  --idle-timeout MS      HUBQ_IDLE_TIMEOUT     close a connection silent this long, unless it subscribes (default 600000, 0 = never)
  --memory-high MB       HUBQ_MEMORY_HIGH      past this RSS, stop reading publishers until consumers drain (default 2048, 0 = off)
  --bodies-in-memory N   HUBQ_BODIES_IN_MEMORY ready messages per queue held in memory; the rest stay in the log (the
                                               queue's backlog), read back in order as it runs low (default 10000)
  --log-level LEVEL      HUBQ_LOG_LEVEL        fatal|error|warn|info|debug|trace|silent (default info)
  -h, --help                                   this text
`

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** `--http-port` reads `HUBQ_HTTP_PORT` when the flag is not given. */
export function envName(flag: string): string {
  return 'HUBQ_' + flag.toUpperCase().replaceAll('-', '_')
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
    options: BROKER_OPTIONS,
  })
  if (values.help) return 'help'
  // Each flag not given takes its variable, if set and not empty.
  const fromEnv = new Set<string>()
  const given = values as Record<string, string | boolean | undefined>
  for (const flag of Object.keys(BROKER_OPTIONS)) {
    const value = env[envName(flag)]
    if (flag === 'help' || given[flag] !== undefined || value === undefined || value === '') continue
    given[flag] = value
    fromEnv.add(flag)
  }
  try {
    return configFrom(values)
  } catch (err) {
    // A bad value from the environment: the message names the variable too.
    const flag = err instanceof ConfigError ? /^--([a-z-]+)/.exec(err.message)?.[1] : undefined
    if (flag === undefined || !fromEnv.has(flag)) throw err
    throw new ConfigError((err as ConfigError).message.replace(`--${flag}`, `--${flag} (${envName(flag)})`))
  }
}

const BROKER_OPTIONS = {
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
} as const

function configFrom(values: { [K in keyof typeof BROKER_OPTIONS]?: (typeof BROKER_OPTIONS)[K]['type'] extends 'string' ? string : boolean }): BrokerConfig {
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
  const token = values.token
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
    host: values.host ?? '127.0.0.1',
    port: integerOption(values.port, '--port', 0, 65_535, 7400),
    data: values.data ?? './data',
    backend,
    fsync: parseFsync(values.fsync ?? 'always'),
    httpPort: integerOption(values['http-port'], '--http-port', 0, 65_535, 7401),
    sqsPort: integerOption(values['sqs-port'], '--sqs-port', 0, 65_535, 9324),
    sqsPortExplicit: values['sqs-port'] !== undefined,
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
