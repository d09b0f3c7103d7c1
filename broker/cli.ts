// `hubq broker`: start the broker, stop it cleanly on SIGINT/SIGTERM.
import { createCommandLogger } from '../shared/logger.js'
import { parseArgsMessage } from '../shared/client/command.js'
import { BROKER_USAGE, ConfigError, parseBrokerArgs } from './config.js'
import { Broker } from './server.js'
import { createStore } from './store/index.js'
import { describePolicy, fsyncRisk } from './store/log/policy.js'
import type { HttpServer } from './http/server.js'
import { authSettings, describeAuth } from './auth/setup.js'
import { readTlsFiles } from './net/tls-files.js'
import { sqsFaceSettings } from './face/settings.js'
import { systemClock } from '../shared/clock.js'

export async function main(args: string[]): Promise<number> {
  let config
  try {
    config = parseBrokerArgs(args)
  } catch (err) {
    process.stderr.write(`hubq broker: ${parseArgsMessage(err)} (see hubq broker --help)\n`)
    return 2
  }
  if (config === 'help') {
    process.stdout.write(BROKER_USAGE)
    return 0
  }
  const log = await createCommandLogger(config.logLevel as 'info')
  let auth
  let tls
  try {
    auth = authSettings(config.auth, config.helloTimeoutMs)
    tls = readTlsFiles(config.tls)
  } catch (err) {
    process.stderr.write(`hubq broker: ${(err as Error).message}\n`)
    return 2
  }
  // Before the store, so the durable log can be handed `metrics` as its fsync observer.
  // prom-client and the HTTP server load only when asked for: they cost every start a good part of a second.
  const http = config.httpPort === 0
    ? undefined
    : { ...(await import('./http/metrics.js')), ...(await import('./http/server.js')) }
  // One clock for every timer and timestamp of the broker, its connections and its HTTP side.
  const clock = systemClock
  const metrics = http ? new http.BrokerMetrics({ clock }) : undefined
  const store = await createStore(config, log, { clock, ...(metrics ? { fsyncObserver: metrics } : {}) })
  metrics?.watchStore(store)
  log.info({ store: store.description, backend: config.backend, data: config.data }, `hubq store: ${store.description}`)
  if (config.backend === 'local' && config.data !== ':memory:') log.info({ fsync: describePolicy(config.fsync) }, fsyncRisk(config.fsync))
  log.info({ auth: auth !== undefined, tls: tls !== undefined }, describeAuth(config.auth, auth))
  const broker = new Broker({ store, limits: config.limits, log, ...(metrics ? { metrics } : {}), ...(auth ? { auth } : {}), ...(tls ? { tls } : {}), writeTimeoutMs: config.writeTimeoutMs, idleTimeoutMs: config.idleTimeoutMs, memory: { highBytes: config.memoryHighBytes }, clock, ...sqsFaceSettings(config) })
  const address = await broker.start(config.port, config.host)
  log.info({ ...address, limits: config.limits }, `hubq broker listening on ${address.host}:${address.port}`)
  let httpServer: HttpServer | undefined
  if (http && metrics) {
    try {
      httpServer = await http.startHttpServer({ broker, metrics, port: config.httpPort, host: config.host, log, protocolPort: address.port, clock, ...(auth ? { tokens: auth.tokens } : {}) })
    } catch (err) {
      await broker.stop()
      throw new Error(`cannot serve HTTP on ${config.host}:${config.httpPort}: ${(err as Error).message} (--http-port 0 turns it off)`)
    }
    const where = `http://${httpServer.host}:${httpServer.port}`
    log.info({ host: httpServer.host, port: httpServer.port }, `hubq http on ${where}: /metrics, /healthz, live page at /`)
  } else {
    log.info('hubq http off (--http-port 0)')
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping: no new connections, answering requests in flight')
      // HTTP stops last, so /healthz answers 503 while the broker drains.
      broker.stop()
        .catch((err: unknown) => log.error({ err }, 'error while stopping'))
        .then(() => httpServer?.close())
        .then(resolve, resolve)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  log.info('stopped')
  return 0
}

export { ConfigError }
