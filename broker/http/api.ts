// The console's JSON endpoints (PROTOCOL.md §7.4). Reads go to the store and the broker's list
// of connections; actions run the protocol's own handlers (broker/handlers/*.ts), so a purge from
// the console is validated, authorized and answered exactly as one over TCP. With auth on, every
// endpoint names the op whose rule it is held to (auth/permissions.ts `authorize`).
import { HubqError, badRequest, type ErrorCode } from '../../shared/errors.js'
import { deliveryJson, type QueueConfig, type QueueStats } from '../../shared/protocol/types.js'
import { DEFAULT_LIMITS, peekState, type Limits } from '../../shared/protocol/requests.js'
import { silentLogger, type Logger } from '../../shared/logger.js'
import { VERSION } from '../../shared/version.js'
import { authorize } from '../auth/permissions.js'
import type { Principal } from '../auth/principal.js'
import type { TokenTable } from '../auth/tokens.js'
import { routes } from '../handlers/index.js'
import { visibleTopics } from '../handlers/stats.js'
import { RawFields, type ReplyFields, type SessionContext } from '../handlers/types.js'
import type { ConnectionInfo } from '../server.js'
import type { ConsumerInfo, MessageStore, QueueInspection } from '../store/types.js'
import { checkHealth } from './health.js'
import { History, type Series } from './history.js'

/** What the console reads from the broker (broker/server.ts Broker has it all). */
export interface ConsoleSource {
  readonly store: MessageStore
  readonly accepting: boolean
  readonly connections: number
  readonly limits?: Limits
  connectionList?(): ConnectionInfo[]
}

/** An answer: status and JSON body. */
export interface ApiReply {
  status: number
  headers?: Record<string, string>
  body: unknown
}

/** Who is asking: no auth (everything), or a token's principal. */
export type Caller = { principal: Principal | undefined }

/** Messages one page of the console's message list may ask for, and the deepest it may look. */
export const MAX_PAGE = 100
export const MAX_PEEK_DEPTH = 10_000

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_json: 400, bad_request: 400, unknown_op: 404, not_found: 404, unauthorized: 401, forbidden: 403,
  message_too_large: 413, frame_too_large: 413, limit: 429, unavailable: 503, unknown_receipt: 404,
}

export function errorReply(err: unknown): ApiReply {
  if (err instanceof HubqError) return { status: STATUS[err.code] ?? 500, body: { error: err.toWire() } }
  return { status: 500, body: { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } } }
}

/** The caller of a request: 401 (HubqError unauthorized) when auth is on and no good token came. */
export function callerOf(tokens: TokenTable | undefined, header: string | undefined): Caller {
  if (!tokens) return { principal: undefined }
  const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header)
  if (!match) throw new HubqError('unauthorized', 'auth is on: send Authorization: Bearer TOKEN')
  const principal = tokens.authenticate(match[1] as string)
  if (!principal) throw new HubqError('unauthorized', 'wrong token')
  return { principal }
}

export class ConsoleApi {
  readonly history: History
  private readonly startedAt: number

  constructor(
    private readonly broker: ConsoleSource,
    private readonly clock: { now(): number },
    history: History,
    private readonly log: Logger = silentLogger,
  ) {
    this.history = history
    this.startedAt = clock.now()
  }

  /** The op's rule for this request, as over TCP: throws `forbidden`; no-op without auth. */
  private check(caller: Caller, op: string, request: Record<string, unknown>): void {
    if (!caller.principal) return
    const denied = authorize(caller.principal, op, routes[op]?.rule, request, this.broker.store)
    if (denied) throw denied
  }

  private may(caller: Caller, op: string, request: Record<string, unknown>): boolean {
    try {
      this.check(caller, op, request)
      return true
    } catch {
      return false
    }
  }

  /** GET /api/overview: the queues and topics the token may see (stats' rule, per queue). */
  async overview(caller: Caller): Promise<unknown> {
    const store = this.broker.store
    const now = this.clock.now()
    const stats = await store.stats()
    void this.history.maybeSample(now, () => stats.queues)
    const visible = stats.queues.filter((q) => this.may(caller, 'stats', { queue: q.queue }))
    const inspections = await Promise.all(visible.map((q) => this.inspectOrUndefined(q.queue)))
    const deadLetterFor = new Map<string, string[]>()
    inspections.forEach((inspection, i) => {
      const target = inspection?.config.deadLetter
      if (target === undefined) return
      const list = deadLetterFor.get(target) ?? []
      list.push((visible[i] as QueueStats).queue)
      deadLetterFor.set(target, list)
    })
    const queues = visible.map((q, i) => {
      const inspection = inspections[i]
      const series = this.history.series([q.queue])
      return {
        ...q,
        fifo: inspection?.config.fifo ?? false,
        ...(inspection?.config.deadLetter !== undefined ? { deadLetter: inspection.config.deadLetter } : {}),
        deadLetterFor: deadLetterFor.get(q.queue) ?? [],
        consumers: inspection?.consumers.length ?? 0,
        oldestReadyAge: age(inspection?.oldestReadyAt, now),
        publishRate: last(series.publishRate),
        ackRate: last(series.ackRate),
      }
    })
    const principal = caller.principal
    return {
      version: VERSION,
      now,
      uptime: Math.max(0, Math.floor((now - this.startedAt) / 1000)),
      connections: this.broker.connections,
      health: checkHealth(this.broker),
      auth: principal ? { token: principal.name, admin: principal.canAll('admin') } : null,
      sampleInterval: this.history.intervalMs / 1000,
      queues,
      topics: principal ? visibleTopics(stats.topics, principal) : stats.topics,
      history: this.history.series(visible.map((q) => q.queue)),
    }
  }

  /** GET /api/queues/NAME: counts, settings, oldest ready age, consumers and chart of one queue. */
  async queue(caller: Caller, queue: string): Promise<unknown> {
    this.check(caller, 'stats', { queue })
    const store = this.broker.store
    const now = this.clock.now()
    const [stats, inspection] = await Promise.all([store.stats(queue), store.inspect(queue)])
    const all = (await store.stats()).queues
    await this.history.maybeSample(now, () => all)
    const counts = stats.queues[0] as QueueStats
    const connections = new Map((this.broker.connectionList?.() ?? []).map((c) => [c.id, c]))
    const deadLetterFor: string[] = []
    for (const other of all) {
      if (other.queue === queue || !this.may(caller, 'stats', { queue: other.queue })) continue
      const config = (await this.inspectOrUndefined(other.queue))?.config
      if (config?.deadLetter === queue) deadLetterFor.push(other.queue)
    }
    const series: Series = this.history.series([queue])
    return {
      ...counts,
      config: inspection.config as Partial<QueueConfig>,
      oldestReadyAge: age(inspection.oldestReadyAt, now),
      deadLetterFor,
      consumers: inspection.consumers.map((c) => withConnection(c, connections.get(c.owner))),
      publishRate: last(series.publishRate),
      ackRate: last(series.ackRate),
      history: series,
      may: {
        publish: this.may(caller, 'publish', { queue }),
        peek: this.may(caller, 'peek', { queue }),
        purge: this.may(caller, 'purge', { queue }),
        drop: this.may(caller, 'drop', { queue }),
        redrive: this.may(caller, 'redrive', { queue }),
      },
    }
  }

  /** GET /api/queues/NAME/messages?state=&offset=&limit=: a page of peeked messages (peek's rule). */
  async messages(caller: Caller, queue: string, query: URLSearchParams): Promise<unknown> {
    const state = peekState(query.has('state') ? { state: query.get('state') } : {})
    const offset = whole(query.get('offset'), 0, 'offset')
    const limit = whole(query.get('limit'), 20, 'limit')
    if (limit < 1 || limit > MAX_PAGE) throw badRequest(`limit must be 1 … ${MAX_PAGE}`)
    if (offset + limit > MAX_PEEK_DEPTH) throw badRequest(`the console looks at most ${MAX_PEEK_DEPTH} messages deep (offset + limit)`)
    this.check(caller, 'peek', { queue, state })
    const now = this.clock.now()
    const found = await this.broker.store.peek(queue, state, offset + limit + 1)
    const page = found.slice(offset, offset + limit)
    return {
      queue, state, offset, limit,
      more: found.length > offset + limit,
      messages: page.map((d) => ({ ...(JSON.parse(deliveryJson(d, false)) as object), age: age(d.publishedAt, now) })),
    }
  }

  /** POST /api/queues/NAME/ACTION: publish, purge, drop or redrive, run by the op's own handler. */
  async action(caller: Caller, queue: string, action: string, body: Record<string, unknown>): Promise<unknown> {
    if (!ACTIONS.has(action)) throw new HubqError('not_found', `no action ${action} (one of ${[...ACTIONS].join(', ')})`)
    const request: Record<string, unknown> = action === 'publish' ? { ...body, queue } : { queue }
    delete request.topic
    this.check(caller, action, request)
    const route = routes[action]
    if (!route) throw new HubqError('internal', `no handler for ${action}`)
    const fields = await route.handler(request, this.context(caller))
    this.log.info({ op: action, queue, token: caller.principal?.name }, 'console action')
    return plain(fields)
  }

  /** GET /api/connections: every open connection and its subscriptions (stats' rule without a queue: admin on "*"). */
  async connections(caller: Caller): Promise<unknown> {
    this.check(caller, 'stats', {})
    const list = this.broker.connectionList?.() ?? []
    const queueOf = new Map<string, { queue: string; consumer: ConsumerInfo }>()
    for (const q of (await this.broker.store.stats()).queues) {
      const inspection = await this.inspectOrUndefined(q.queue)
      for (const consumer of inspection?.consumers ?? []) queueOf.set(`${consumer.owner}/${consumer.subscription}`, { queue: q.queue, consumer })
    }
    return {
      connections: list.map((c) => ({
        ...c,
        subscriptions: c.subscriptions.map((id) => {
          const found = queueOf.get(`${c.id}/${id}`)
          return found
            ? { id, queue: found.queue, prefetch: found.consumer.prefetch, ...(found.consumer.unacked !== undefined ? { unacked: found.consumer.unacked } : {}) }
            : { id }
        }),
      })),
    }
  }

  private async inspectOrUndefined(queue: string): Promise<QueueInspection | undefined> {
    try {
      return await this.broker.store.inspect(queue)
    } catch {
      return undefined // dropped between stats() and inspect(): nothing to show
    }
  }

  /** What a handler run for the console sees: no connection, so nothing to subscribe or push. */
  private context(caller: Caller): SessionContext {
    const broker = this.broker
    const refuse = (): never => {
      throw badRequest('the console runs no subscriptions')
    }
    return {
      store: broker.store,
      limits: broker.limits ?? DEFAULT_LIMITS,
      info: { version: VERSION, startedAt: this.startedAt, now: () => this.clock.now(), connections: () => broker.connections },
      log: this.log,
      owner: CONSOLE_OWNER,
      signal: new AbortController().signal,
      clientName: 'console',
      principal: caller.principal,
      subscriptions: new Map(),
      subscribed: refuse,
      authenticate: () => undefined,
      push: refuse,
    }
  }
}

const ACTIONS = new Set(['publish', 'purge', 'drop', 'redrive'])
/** The console's requests hold no deliveries, so no connection's Owner id (those start at 1) is needed. */
const CONSOLE_OWNER = { id: 0 }

function withConnection(consumer: ConsumerInfo, connection: ConnectionInfo | undefined): Record<string, unknown> {
  return {
    ...consumer,
    connection: consumer.owner,
    ...(connection?.client !== undefined ? { client: connection.client } : {}),
    ...(connection ? { address: connection.address } : {}),
  }
}

function plain(fields: ReplyFields): Record<string, unknown> {
  if (fields instanceof RawFields) return JSON.parse('{' + fields.json + '}') as Record<string, unknown>
  return fields ?? {}
}

function age(at: number | undefined, now: number): number | null {
  return at === undefined ? null : Math.max(0, (now - at) / 1000)
}

function last(values: (number | null)[]): number | null {
  return values.length === 0 ? null : (values[values.length - 1] ?? null)
}

function whole(text: string | null, fallback: number, field: string): number {
  if (text === null || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0) throw badRequest(`${field} must be a whole number`)
  return value
}
