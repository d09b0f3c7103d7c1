// Shared set-up for the integration tests: a broker on a ManualClock and connected clients,
// all torn down with the test.
import type { Test } from 'tap'
import { WatchedClock } from '../helpers/clock.js'
import type { Limits } from '../../shared/protocol/requests.js'
import { startBroker, TestClient, type Frame, type TestBroker } from '../helpers/broker.js'

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
