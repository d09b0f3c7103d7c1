// The hubq adapters of the bench driver (drive.mjs) against a real broker over TCP: what the
// driver's workloads take from them. W2 and W3 stop their clock at a consumer's settled(), which
// must mean that the server has processed the last ack, not merely an earlier one.
import t from 'tap'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startBroker, TestClient } from '../../../helpers/broker.js'

interface Adapter {
  producer(): Promise<{ publish(payload: Buffer): Promise<unknown> }>
  consumer(onMessage: (bytes: Buffer) => void, expected: number): Promise<{ settled(): Promise<unknown> }>
  close(): Promise<unknown>
}

async function adapter(name: string, options: { port: number; window: number }): Promise<Adapter> {
  // A path held in a variable: the adapters are plain .mjs files the type-check does not read.
  const file = pathToFileURL(join(import.meta.dirname, '..', '..', '..', '..', 'test/bench/peers/adapters', `${name}.mjs`)).href
  const { open } = (await import(file)) as { open(o: { port: number; window: number }): Promise<Adapter> }
  return open(options)
}

const N = 500

for (const name of ['hubq', 'hubq-client']) {
  t.test(`${name}: once settled() resolves, the server has processed every ack`, async (t) => {
    const b = await startBroker()
    t.teardown(() => b.stop())
    const broker = await adapter(name, { port: b.port, window: 100 })
    const producer = await broker.producer()
    const sent: Buffer[] = []
    for (let i = 0; i < N; i++) sent.push(Buffer.from([i & 0xff, i >> 8, 1, 2, 3, 4, 5, 6, 7]))
    await Promise.all(sent.map((bytes) => producer.publish(bytes)))

    const got: Buffer[] = []
    let resolveAll = (): void => {}
    const all = new Promise<void>((resolve) => (resolveAll = resolve))
    const consumer = await broker.consumer((bytes) => {
      if (got.push(bytes) === N) resolveAll()
    }, N)
    await all
    await consumer.settled()
    // The connections close in the same turn: an ack not yet sent now never is, and the broker
    // would put its message back (PROTOCOL.md §6.3) instead of counting it acked.
    await broker.close()

    t.same(got.map((bytes) => bytes.toString('hex')).sort(), sent.map((bytes) => bytes.toString('hex')).sort(), 'each body came back as the bytes published')
    const c = await TestClient.connect(b.port)
    t.teardown(() => c.close())
    const [stats] = (await c.request({ op: 'stats', queue: 'bench' })).queues
    t.match(stats, { published: N, acked: N, ready: 0, inflight: 0 }, 'every delivery acked')
  })
}

t.test('hubq-client: a throw in the driver\'s onMessage comes back from settled()', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const broker = await adapter('hubq-client', { port: b.port, window: 100 })
  t.teardown(() => broker.close())
  await (await broker.producer()).publish(Buffer.alloc(8))
  let resolveSeen = (): void => {}
  const seen = new Promise<void>((resolve) => (resolveSeen = resolve))
  const consumer = await broker.consumer(() => {
    resolveSeen()
    throw new Error('more deliveries than published (2)')
  }, 1)
  await seen
  await t.rejects(consumer.settled(), { message: 'more deliveries than published (2)' })
})
