// Shared set-up for the integration tests: a broker on a ManualClock and connected clients,
// all torn down with the test.
import type { Test } from 'tap'
import { ManualClock } from '../../shared/clock.js'
import type { Limits } from '../../shared/protocol/requests.js'
import { startBroker, TestClient, type Frame, type TestBroker } from '../helpers/broker.js'

/** A ManualClock that says when a timer of a given length is set (a long poll has started). */
export class WatchedClock extends ManualClock {
  private readonly watchers: { ms: number; resolve: () => void }[] = []

  override setTimeout(fn: () => void, ms: number): unknown {
    const handle = super.setTimeout(fn, ms)
    for (let i = this.watchers.length - 1; i >= 0; i--) {
      const watcher = this.watchers[i]
      if (watcher && watcher.ms === ms) {
        this.watchers.splice(i, 1)
        watcher.resolve()
      }
    }
    return handle
  }

  /** Resolves at the next setTimeout(…, ms). Call before sending the request that sets it. */
  timerSet(ms: number): Promise<void> {
    return new Promise((resolve) => this.watchers.push({ ms, resolve }))
  }
}

export interface Fixture {
  broker: TestBroker
  clock: WatchedClock
  connect(mode?: 'binary' | 'text'): Promise<TestClient>
}

export async function fixture(t: Test, limits?: Partial<Limits>): Promise<Fixture> {
  const clock = new WatchedClock()
  const broker = await startBroker({ clock, ...(limits ? { limits } : {}) })
  const clients: TestClient[] = []
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await broker.stop()
  })
  return {
    broker,
    clock,
    connect: async (mode = 'binary') => {
      const client = await TestClient.connect(broker.port, mode)
      clients.push(client)
      return client
    },
  }
}

/** Sends a request and insists on an ok reply; returns it. */
export async function ok(client: TestClient, request: Frame): Promise<Frame> {
  const reply = await client.request(request)
  if (reply.ok !== true) throw new Error(`${JSON.stringify(request)} failed: ${JSON.stringify(reply)}`)
  return reply
}

export type { Frame, TestClient }
