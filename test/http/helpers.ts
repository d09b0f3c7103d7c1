// A broker with metrics and its HTTP server, both on 127.0.0.1 port 0, plus small readers for
// the Prometheus text format.
import { Broker } from '../../broker/server.js'
import { BrokerMetrics } from '../../broker/http/metrics.js'
import { startHttpServer, type HttpServer } from '../../broker/http/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import type { MessageStore } from '../../broker/store/types.js'
import type { Clock } from '../../shared/clock.js'
import type { HistoryOptions } from '../../broker/http/history.js'
import type { AuthSettings } from '../../broker/auth/settings.js'

export interface ObservedBroker {
  broker: Broker
  metrics: BrokerMetrics
  http: HttpServer
  /** The broker's TCP port. */
  port: number
  /** http://127.0.0.1:PORT */
  url: string
  stop(): Promise<void>
}

export async function startObservedBroker(
  options: { store?: MessageStore; metrics?: BrokerMetrics; clock?: Clock; history?: HistoryOptions; auth?: AuthSettings } = {},
): Promise<ObservedBroker> {
  const store = options.store ?? new LocalStore({ journal: new MemoryJournal(), ...(options.clock ? { clock: options.clock } : {}) })
  const metrics = options.metrics ?? new BrokerMetrics()
  metrics.watchStore(store)
  const broker = new Broker({ store, metrics, ...(options.auth ? { auth: options.auth } : {}) })
  const { port } = await broker.start(0)
  const http = await startHttpServer({
    broker, metrics, port: 0,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.history ? { history: options.history } : {}),
    ...(options.auth ? { tokens: options.auth.tokens } : {}),
  })
  return {
    broker, metrics, http, port,
    url: `http://127.0.0.1:${http.port}`,
    async stop() {
      await broker.stop()
      await http.close()
    },
  }
}

/** Every sample line of a Prometheus text exposition: `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}

export async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`)
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`)
  return parseMetrics(await response.text())
}
