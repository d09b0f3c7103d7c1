// The broker's HTTP side (README "HTTP endpoints"): /metrics for Prometheus, /healthz for probes,
// / and /api/stats for people. Read-only; it changes nothing in the broker.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { systemClock, type Clock } from '../../shared/clock.js'
import { silentLogger, type Logger } from '../../shared/logger.js'
import { VERSION } from '../../shared/version.js'
import { checkHealth } from './health.js'
import { liveStats, type LiveStatsSource } from './live-stats.js'
import type { BrokerMetrics } from './metrics.js'
import { LIVE_PAGE } from './page.js'
import type { TokenTable } from '../auth/tokens.js'

export interface HttpServerOptions {
  broker: LiveStatsSource
  metrics: BrokerMetrics
  port: number
  host?: string
  log?: Logger
  clock?: Clock
  /** With auth on: every endpoint but /healthz needs `Authorization: Bearer T` of a token with admin on "*" (PROTOCOL.md §7.4). */
  tokens?: TokenTable
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
      send(response, 200, 'text/html; charset=utf-8', LIVE_PAGE)
    },
  }

  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined
    if (!route) return send(response, 404, JSON_TYPE, JSON.stringify({ error: `no such endpoint ${path}`, endpoints: Object.keys(routes) }) + '\n')
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD')
      return send(response, 405, JSON_TYPE, JSON.stringify({ error: `${request.method} not allowed; use GET` }) + '\n')
    }
    if (options.tokens && path !== '/healthz') {
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

function send(response: http.ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
  response.end(response.req.method === 'HEAD' ? undefined : body)
}
