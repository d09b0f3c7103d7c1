import t from 'tap'
import { once } from 'node:events'
import { Broker } from '../../broker/server.js'
import { ManualClock } from '../../shared/clock.js'
import { startBroker, TestClient } from '../helpers/broker.js'
import { Consumer, InvalidOptionError, type Message } from '../../consumer/index.js'
import { gatedStore } from '../producer/gated-store.js'
import { spyBackend } from './spy-backend.js'

const urlOf = (port: number): string => `hubq://127.0.0.1:${port}`

async function queueStats(c: TestClient, queue: string): Promise<Record<string, number>> {
  const reply = await c.request({ op: 'stats', queue })
  return reply.queues[0]
}

t.test('a resolving handler acks; the acks of one turn go out as one frame', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'jobs', messages: Array.from({ length: 10 }, (_, i) => ({ body: i })) })
  const spy = await spyBackend(b.port)
  const seen: number[] = []
  let processed = 0
  let allProcessed!: () => void
  const done = new Promise<void>((resolve) => (allProcessed = resolve))
  const consumer = await Consumer.start<number>({
    backend: spy.backend,
    queue: 'jobs',
    prefetch: 10,
    handler: (m) => {
      seen.push(m.body)
    },
  })
  consumer.on('processed', () => {
    if (++processed === 10) allProcessed()
  })
  await done
  await consumer.stop()
  t.same(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every message handled once, in order')
  t.equal(spy.acks.flat().length, 10, 'ten receipts acked')
  t.ok(spy.acks.length < 10, `coalesced into ${spy.acks.length} ack frame(s)`)
  t.match(await queueStats(c, 'jobs'), { ready: 0, inflight: 0, acked: 10 })
})

t.test('a throwing handler nacks with exponential backoff, then the message dead-letters', async (t) => {
  const clock = new ManualClock()
  const b = await startBroker({ clock })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'declare', queue: 'jobs', maxReceives: 3, deadLetter: 'jobs-dead' })
  await c.request({ op: 'publish', queue: 'jobs', body: 'poison' })
  const spy = await spyBackend(b.port)
  const failures: { receives: number; delay: number }[] = []
  const consumer = await Consumer.start({
    backend: spy.backend,
    queue: 'jobs',
    retryDelay: { initial: 2, factor: 2 },
    handler: () => {
      throw new Error('cannot handle this')
    },
  })
  t.teardown(() => consumer.stop())
  consumer.on('failed', (m: Message, _err, delay) => failures.push({ receives: m.receives, delay }))

  await spy.next('nack')
  t.match(await queueStats(c, 'jobs'), { delayed: 1, inflight: 0 }, 'first failure: waiting out its backoff')
  clock.advance(2000)
  await spy.next('nack')
  t.match(await queueStats(c, 'jobs'), { delayed: 1 }, 'second failure: waiting again')
  clock.advance(4000)
  await spy.next('nack')
  t.same(failures, [{ receives: 1, delay: 2 }, { receives: 2, delay: 4 }, { receives: 3, delay: 8 }])
  t.match(await queueStats(c, 'jobs'), { ready: 0, delayed: 0, inflight: 0, deadLettered: 1 })
  t.match(await queueStats(c, 'jobs-dead'), { ready: 1 }, 'the message is in the dead-letter queue')
})

t.test('stop() waits for the handler in flight, takes nothing new, and acks it', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'jobs', body: 'first' })
  let finish!: () => void
  const handled: unknown[] = []
  const consumer = await Consumer.start({
    url: urlOf(b.port),
    queue: 'jobs',
    prefetch: 1,
    handler: (m) => {
      handled.push(m.body)
      return new Promise<void>((resolve) => (finish = resolve))
    },
  })
  await once(consumer, 'message')
  let stopped = false
  const stopping = consumer.stop().then(() => (stopped = true))
  const emittedStopped = once(consumer, 'stopped')
  await c.request({ op: 'publish', queue: 'jobs', body: 'second' })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(stopped, false, 'stop() waits while the handler runs')
  finish()
  await stopping
  await emittedStopped
  t.same(handled, ['first'], 'nothing new was taken after stop()')
  t.match(await queueStats(c, 'jobs'), { ready: 1, inflight: 0, acked: 1 })
})

t.test('stop() nacks a handler that outlives its timeout, and ignores its later result', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'publish', queue: 'jobs', body: 'slow' })
  let finish!: () => void
  const consumer = await Consumer.start({
    url: urlOf(b.port),
    queue: 'jobs',
    handler: () => new Promise<void>((resolve) => (finish = resolve)),
  })
  let processed = 0
  consumer.on('processed', () => processed++)
  await once(consumer, 'message')
  await consumer.stop({ timeout: 0.05 })
  t.match(await queueStats(c, 'jobs'), { ready: 1, inflight: 0, acked: 0 }, 'abandoned message is back in the queue')
  finish()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(processed, 0, 'a late result is not acked')
})

t.test('a long handler keeps its message with touch heartbeats', async (t) => {
  const brokerClock = new ManualClock()
  const b = await startBroker({ clock: brokerClock })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'declare', queue: 'jobs', visibilityTimeout: 2 })
  await c.request({ op: 'publish', queue: 'jobs', body: 'long' })
  const clock = new ManualClock()
  const spy = await spyBackend(b.port)
  let finish!: () => void
  const consumer = await Consumer.start({
    backend: spy.backend,
    clock,
    queue: 'jobs',
    visibilityTimeout: 5,
    heartbeatInterval: 1,
    handler: () => new Promise<void>((resolve) => (finish = resolve)),
  })
  const message = (await once(consumer, 'message'))[0] as Message
  clock.advance(1000)
  t.same(await spy.next('touch'), [message.receipt, 5], 'touched with the visibility timeout')
  brokerClock.advance(4000)
  t.match(await queueStats(c, 'jobs'), { ready: 0, inflight: 1 }, 'still in flight past the queue timeout of 2 s')
  clock.advance(1000)
  await spy.next('touch')
  finish()
  await consumer.stop()
  t.match(await queueStats(c, 'jobs'), { acked: 1 })
  t.equal(spy.touches.length, 2)
})

t.test('reconnects and resubscribes after a broker restart', async (t) => {
  const gate = await gatedStore()
  const first = new Broker({ store: gate.store })
  const { port } = await first.start(0)
  const errors: string[] = []
  const bodies: unknown[] = []
  const consumer = await Consumer.start({
    url: urlOf(port),
    queue: 'jobs',
    reconnect: { initial: 5, max: 40 },
    handler: (m) => {
      bodies.push(m.body)
    },
  })
  consumer.on('error', (err) => errors.push(err.code))
  await first.stop()
  const second = new Broker({ store: gate.store })
  await second.start(port)
  t.teardown(() => second.stop())
  const c = await TestClient.connect(port)
  t.teardown(() => c.close())
  // events.once() would reject on the 'error' this test expects, so listen plainly.
  const processed = new Promise((resolve) => consumer.once('processed', resolve))
  await c.request({ op: 'publish', queue: 'jobs', body: 'after restart' })
  await processed
  await consumer.stop()
  t.same(bodies, ['after restart'])
  t.same(errors, ['unavailable'], 'the lost connection was reported once')
})

t.test('options are validated with precise messages', async (t) => {
  const handler = (): void => {}
  await t.rejects(Consumer.start({ queue: 'jobs', prefetch: 0, handler }), new InvalidOptionError('prefetch must be an integer between 1 and 10000.'))
  await t.rejects(Consumer.start({ queue: 'jobs', prefetch: 1.5, handler }), { code: 'bad_request', message: 'prefetch must be an integer between 1 and 10000.' })
  await t.rejects(Consumer.start({ queue: '', handler }), { code: 'bad_request', message: /^queue must be 1 to 80 characters/ })
  await t.rejects(Consumer.start({ queue: 'jobs', handler: 'no' as unknown as typeof handler }), { message: 'handler must be a function.' })
  await t.rejects(Consumer.start({ queue: 'jobs', handler, retryDelay: { factor: 0.5 } , url: 'hubq://127.0.0.1:1' }), { message: 'retryDelay.factor must be a number of at least 1.' })
})

t.test('parse turns each body into the handler\'s type; a body it rejects is nacked and never handled', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'declare', queue: 'jobs', maxReceives: 1, deadLetter: 'jobs.dead' })
  await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: { n: 1 } }, { body: 'not a job' }, { body: { n: 3 } }] })
  interface Job { n: number; double: number }
  const handled: Job[] = []
  const failures: unknown[] = []
  const consumer = await Consumer.start({
    url: urlOf(b.port),
    queue: 'jobs',
    // A validator in the shape zod, valibot or ajv offer: return the typed value or throw.
    parse: (body): Job => {
      const n = (body as { n?: unknown } | null)?.n
      if (typeof n !== 'number') throw new TypeError(`not a job: ${JSON.stringify(body)}`)
      return { n, double: n * 2 }
    },
    handler: (m) => {
      handled.push(m.body)
    },
  })
  consumer.on('failed', (_m, err) => failures.push(err))
  let settled = 0
  await new Promise<void>((resolve) => {
    const count = (): void => {
      if (++settled === 3) resolve()
    }
    consumer.on('processed', count)
    consumer.on('failed', count)
  })
  await consumer.stop()
  t.same(handled, [{ n: 1, double: 2 }, { n: 3, double: 6 }], 'the handler saw parsed bodies only')
  t.match(failures, [{ message: 'not a job: "not a job"' }], 'the rejected body failed with the validator\'s error')
  t.match(await queueStats(c, 'jobs'), { acked: 2, deadLettered: 1 }, 'nacked like a failed handler: with maxReceives 1 it dead-letters')
  await t.rejects(Consumer.start({ url: urlOf(b.port), queue: 'jobs', parse: 'zod' as never, handler: () => {} }), { message: 'parse must be a function.' })
})
