// A consumer that subscribes and never reads (PROTOCOL.md §2 "Flow control"): what the broker
// holds for it stays bounded by prefetch, and once its write buffer has been full and unread for
// the write timeout it is disconnected and its deliveries go back to the queue.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { encodeFrame } from '../../shared/protocol/codec.js'
import { TestClient } from '../helpers/broker.js'
import { Writable } from 'node:stream'
import { createLogger } from '../../shared/logger.js'
import { startHardened } from './helpers.js'
import { WatchedClock } from '../helpers/clock.js'

/** A logger that resolves `seen` at the first line matching `pattern`. */
function watchLog(pattern: RegExp): { log: ReturnType<typeof createLogger>; seen: Promise<string> } {
  let found!: (line: string) => void
  const seen = new Promise<string>((resolve) => (found = resolve))
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString()
      if (pattern.test(line)) found(line)
      done()
    },
  })
  return { log: createLogger({ level: 'warn', destination }), seen }
}

t.test('a subscriber that never reads is disconnected after the write timeout; its messages are released', async (t) => {
  const watched = watchLog(/write timeout/)
  const clock = new WatchedClock()
  const b = await startHardened({ writeTimeoutMs: 300, log: watched.log, clock })
  t.teardown(() => b.stop())
  const publisher = await TestClient.connect(b.port)
  t.teardown(() => publisher.close())
  const body = 'x'.repeat(200_000)
  const count = 60
  for (let i = 0; i < count; i++) await publisher.request({ op: 'publish', queue: 'slow', body })
  const heapBefore = process.memoryUsage().heapUsed
  // A raw socket that subscribes and then never reads: its receive window fills, then the broker's buffer.
  const stuck = net.connect({ port: b.port, host: '127.0.0.1' })
  await once(stuck, 'connect')
  stuck.pause()
  // The deadline is armed once the broker's write buffer is full.
  const armed = clock.timerSet(300)
  stuck.write(encodeFrame('binary', JSON.stringify({ op: 'subscribe', queue: 'slow', prefetch: count })))
  // The stuck side reads nothing, so it cannot see the close: the broker's log line says when.
  t.teardown(() => stuck.destroy())
  await armed
  let disconnected = false
  void watched.seen.then(() => (disconnected = true))
  clock.advance(299)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(disconnected, false, 'still connected 1 ms before the deadline')
  clock.advance(1)
  const line = await watched.seen
  t.match(JSON.parse(line), { msg: 'peer not reading, disconnecting (write timeout)', ms: 300 })
  // Bounded: at most prefetch × message size was ever buffered for it (here 12 MB), not more.
  t.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'heap stayed bounded')
  const reader = await TestClient.connect(b.port)
  t.teardown(() => reader.close())
  const got = await reader.request({ op: 'receive', queue: 'slow', max: 10 })
  t.equal(got.messages.length, 10)
  t.equal(got.messages[0].body.length, body.length)
  // Everything the stuck subscriber held is back: only the reader's ten are in flight.
  const stats = await reader.request({ op: 'stats', queue: 'slow' })
  t.match(stats.queues[0], { ready: count - 10, inflight: 10 })
})

t.test('pushes stop once the write buffer passes 1 MiB, whatever the prefetch, and resume on drain', async (t) => {
  const watched = watchLog(/pushes paused/)
  watched.log.level = 'debug'
  const b = await startHardened({ writeTimeoutMs: 60_000, log: watched.log })
  t.teardown(() => b.stop())
  const publisher = await TestClient.connect(b.port)
  t.teardown(() => publisher.close())
  const body = 'z'.repeat(200_000)
  const count = 200
  for (let i = 0; i < count; i++) await publisher.request({ op: 'publish', queue: 'big', body })
  const slow = await TestClient.connect(b.port)
  t.teardown(() => slow.close())
  slow.socket.pause()
  slow.send({ op: 'subscribe', queue: 'big', prefetch: 10_000 })
  await watched.seen
  const held = (await publisher.request({ op: 'stats', queue: 'big' })).queues[0]
  // What was pushed fits the socket buffers plus the 1 MiB mark, not the prefetch of 10,000.
  t.ok(held.inflight < count, `${held.inflight} of ${count} pushed before the pause`)
  t.equal(held.inflight + held.ready, count)
  slow.socket.resume()
  await slow.waitDeliveries(count)
  t.equal(slow.deliveries.length, count, 'after the drain every message is pushed')
})

t.test('a subscriber that reads slowly but keeps reading is not disconnected', async (t) => {
  const b = await startHardened({ writeTimeoutMs: 300 })
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  for (let i = 0; i < 20; i++) await c.request({ op: 'publish', queue: 'q', body: 'y'.repeat(100_000) })
  await c.request({ op: 'subscribe', queue: 'q', prefetch: 20 })
  await c.waitDeliveries(20)
  t.match(await c.request({ op: 'ping', id: 'still' }), { id: 'still', ok: true })
})
