// The broker's HTTP side (README "HTTP endpoints"): /metrics for Prometheus, /healthz for probes,
// the console at / with its JSON endpoints under /api/ (api.ts), and /api/stats for scripts.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { systemClock, type Clock } from '../../shared/clock.js'
import { silentLogger, type Logger } from '../../shared/logger.js'
import { VERSION } from '../../shared/version.js'
import { checkHealth } from './health.js'
import { liveStats } from './live-stats.js'
import type { BrokerMetrics } from './metrics.js'
import { CONSOLE_PAGE } from './page.js'
import { ConsoleApi, callerOf, errorReply, type ApiReply, type Caller, type ConsoleSource } from './api.js'
import { History, type HistoryOptions } from './history.js'
import { HubqError, badRequest } from '../../shared/errors.js'
import type { TokenTable } from '../auth/tokens.js'

export interface HttpServerOptions {
  broker: ConsoleSource
  metrics: BrokerMetrics
  port: number
  host?: string
  log?: Logger
  clock?: Clock
  /**
   * With auth on (PROTOCOL.md §7.4): /metrics and /api/stats need `Authorization: Bearer T` of a
   * token with admin on "*"; the console's endpoints hold each request to its op's rule.
   */
  tokens?: TokenTable
  /** How often the console's charts are sampled and how much is kept. */
  history?: HistoryOptions
  /** The broker's protocol port, named to a client that speaks the protocol to this port. */
  protocolPort?: number
}

export interface HttpServer {
  host: string
  port: number
  close(): Promise<void>
}

type Route = (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void> | void

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { broker, metrics } = options
  const log = options.log ?? silentLogger
  const clock = options.clock ?? systemClock
  const startedAt = clock.now()

  const api = new ConsoleApi(broker, clock, new History(options.history), log)

  // GET endpoints that need admin on "*" with auth on; the console's own are in consoleRoute.
  const routes: Record<string, Route> = {
    '/metrics': async (_request, response) => {
      send(response, 200, metrics.contentType, await metrics.text())
    },
    '/healthz': (_request, response) => {
      const health = checkHealth(broker)
      send(response, health.status === 'ok' ? 200 : 503, JSON_TYPE, JSON.stringify(health) + '\n')
    },
    '/api/stats': async (_request, response) => {
      send(response, 200, JSON_TYPE, JSON.stringify(await liveStats(broker, clock, startedAt, VERSION)))
    },
    '/': (_request, response) => {
      send(response, 200, 'text/html; charset=utf-8', CONSOLE_PAGE, PAGE_HEADERS)
    },
  }
  // The page itself is no secret (its data comes from /api/...): it opens without a token and asks for one.
  const OPEN = new Set(['/healthz', '/'])

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const path = url.pathname
    if (path.startsWith('/api/') && path !== '/api/stats') {
      void consoleRoute(api, options.tokens, request, url, broker.limits?.maxFrame ?? 1024 * 1024).then(
        (reply) => sendReply(response, reply),
        (err: unknown) => {
          log.warn({ err, path }, 'http request failed')
          sendReply(response, errorReply(err))
        },
      )
      return
    }
    const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined
    if (!route) return send(response, 404, JSON_TYPE, JSON.stringify({ error: `no such endpoint ${path}`, endpoints: [...Object.keys(routes), ...CONSOLE_ENDPOINTS] }) + '\n')
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD')
      return send(response, 405, JSON_TYPE, JSON.stringify({ error: `${request.method} not allowed; use GET` }) + '\n')
    }
    if (options.tokens && !OPEN.has(path)) {
      const denied = httpAuthError(options.tokens, request.headers.authorization)
      if (denied) {
        if (denied.status === 401) response.setHeader('www-authenticate', 'Bearer realm="hubq"')
        return send(response, denied.status, JSON_TYPE, JSON.stringify({ error: denied.message }) + '\n')
      }
    }
    Promise.resolve()
      .then(() => route(request, response))
      .catch((err: unknown) => {
        log.warn({ err, path }, 'http request failed')
        if (!response.headersSent) send(response, 500, JSON_TYPE, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) + '\n')
        else response.destroy()
      })
  })

  // A hubq client pointed here by mistake sends a binary frame, which no HTTP parser takes: the 400 says where to go.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const hint = err.code?.startsWith('HPE_') && options.protocolPort !== undefined ? `that is hubq's HTTP port; the protocol port is ${options.protocolPort}\n` : ''
    if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${hint.length}\r\nConnection: close\r\n\r\n${hint}`)
    else socket.destroy()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (err) => log.error({ err }, 'http server error'))
  const address = server.address() as AddressInfo
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Idle keep-alive connections (a browser tab, a scraper) would hold close() open.
        server.closeAllConnections()
      }),
  }
}

const JSON_TYPE = 'application/json; charset=utf-8'

/** The same tokens as `hello`; the endpoints show every queue, so they need admin on every name. */
function httpAuthError(tokens: TokenTable, header: string | undefined): { status: 401 | 403; message: string } | undefined {
  const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header)
  if (!match) return { status: 401, message: 'auth is on: send Authorization: Bearer TOKEN' }
  const principal = tokens.authenticate(match[1] as string)
  if (!principal) return { status: 401, message: 'wrong token' }
  if (!principal.canAll('admin')) return { status: 403, message: `token ${principal.name} needs admin on "*" for this endpoint` }
  return undefined
}

function send(response: http.ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers })
  response.end(response.req.method === 'HEAD' ? undefined : body)
}

function sendReply(response: http.ServerResponse, reply: ApiReply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value)
  if (reply.status === 401) response.setHeader('www-authenticate', 'Bearer realm="hubq"')
  send(response, reply.status, JSON_TYPE, JSON.stringify(reply.body) + '\n')
}

/** The page runs only its own inline script and style and talks only to this server. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

const CONSOLE_ENDPOINTS = [
  '/api/overview', '/api/connections', '/api/queues/NAME', '/api/queues/NAME/messages',
  'POST /api/queues/NAME/publish', 'POST /api/queues/NAME/purge', 'POST /api/queues/NAME/drop', 'POST /api/queues/NAME/redrive',
]

/** The console's endpoints (api.ts): GET reads, POST actions with a JSON body. */
async function consoleRoute(
  api: ConsoleApi, tokens: TokenTable | undefined, request: http.IncomingMessage, url: URL, maxBody: number,
): Promise<ApiReply> {
  const parts = url.pathname.slice('/api/'.length).split('/')
  const method = request.method ?? 'GET'
  const get = method === 'GET' || method === 'HEAD'
  let queue: string | undefined
  if (parts[0] === 'queues' && parts.length >= 2 && parts.length <= 3) {
    try {
      queue = decodeURIComponent(parts[1] as string)
    } catch {
      throw badRequest('the queue name in the path is not valid percent-encoding')
    }
  }
  let allowed: 'GET' | 'POST'
  let run: (caller: Caller, body: Record<string, unknown>) => Promise<unknown>
  if (parts.length === 1 && parts[0] === 'overview') [allowed, run] = ['GET', (caller) => api.overview(caller)]
  else if (parts.length === 1 && parts[0] === 'connections') [allowed, run] = ['GET', (caller) => api.connections(caller)]
  else if (queue !== undefined && parts.length === 2) [allowed, run] = ['GET', (caller) => api.queue(caller, queue)]
  else if (queue !== undefined && parts[2] === 'messages') [allowed, run] = ['GET', (caller) => api.messages(caller, queue, url.searchParams)]
  else if (queue !== undefined && parts[2] !== undefined) {
    const action = parts[2]
    ;[allowed, run] = ['POST', (caller, body) => api.action(caller, queue, action, body)]
  } else {
    throw new HubqError('not_found', `no such endpoint ${url.pathname} (${CONSOLE_ENDPOINTS.join(', ')})`)
  }
  if ((allowed === 'GET') !== get) {
    return { status: 405, headers: { allow: allowed === 'GET' ? 'GET, HEAD' : 'POST' }, body: { error: { code: 'bad_request', message: `${method} not allowed on ${url.pathname}; use ${allowed}` } } }
  }
  const body = get ? {} : await readJson(request, maxBody)
  const caller = callerOf(tokens, request.headers.authorization)
  return { status: 200, body: await run(caller, body) }
}

/**
 * A POST's body: a JSON object (or nothing). application/json is required, so a page of another
 * site cannot post here without a CORS preflight, which this server never grants; and a request
 * that says it comes from another origin is refused outright.
 */
async function readJson(request: http.IncomingMessage, maxBody: number): Promise<Record<string, unknown>> {
  const origin = request.headers.origin
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined
    try {
      host = new URL(origin).host
    } catch {
      host = undefined
    }
    if (host !== request.headers.host) throw new HubqError('forbidden', `a request from origin ${origin} may not act on this broker`)
  } else if (origin === 'null') {
    throw new HubqError('forbidden', 'a request from an opaque origin may not act on this broker')
  }
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw badRequest('send the action as Content-Type: application/json')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBody) throw new HubqError('message_too_large', `request body larger than ${maxBody} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new HubqError('bad_json', 'the request body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('the request body must be a JSON object')
  return value as Record<string, unknown>
}
