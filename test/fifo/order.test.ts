import t from 'tap'
import { startBroker, TestClient, type Frame } from '../helpers/broker.js'

t.test('several groups under several subscribed connections: strict order per group, one in flight each', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const admin = await TestClient.connect(b.port)
  t.teardown(() => admin.close())
  t.same((await admin.request({ op: 'declare', queue: 'jobs', fifo: true })).created, true)

  const groups = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5']
  const perGroup = 25
  const messages: Frame[] = []
  for (let n = 0; n < perGroup; n++) for (const group of groups) messages.push({ body: { group, n }, group })
  for (let i = 0; i < messages.length; i += 50) {
    const pub = await admin.request({ op: 'publish', queue: 'jobs', messages: messages.slice(i, i + 50) })
    t.equal(pub.ok, true)
  }

  // What the consumers saw, checked as deliveries arrive.
  const nextExpected = new Map(groups.map((g) => [g, 0]))
  const inFlight = new Set<string>()
  let mostGroupsInFlight = 0
  let violations = 0
  let nacked = 0
  let acked = 0
  const total = groups.length * perGroup
  const perConsumer: number[] = []

  async function consume(index: number): Promise<void> {
    const c = await TestClient.connect(b.port)
    const sub = await c.request({ op: 'subscribe', queue: 'jobs', prefetch: 4 })
    t.equal(sub.ok, true)
    let seen = 0
    perConsumer[index] = 0
    while (acked < total) {
      await Promise.race([c.waitDeliveries(seen + 1), allDone])
      const batch = c.deliveries.slice(seen)
      seen = c.deliveries.length
      const ack: string[] = []
      for (const d of batch) {
        const { group, n } = d.body as { group: string; n: number }
        if (d.group !== group || inFlight.has(group) || n !== nextExpected.get(group)) violations++
        inFlight.add(group)
        mostGroupsInFlight = Math.max(mostGroupsInFlight, inFlight.size)
        perConsumer[index]++
      }
      // Hold the batch across a round trip, so the other connections work while these are out.
      await c.request({ op: 'ping' })
      for (const d of batch) {
        const { group, n } = d.body as { group: string; n: number }
        // Settled before the request goes out: the broker may hand the group on at once.
        inFlight.delete(group)
        if (n % 7 === 3 && d.receives === 1) {
          nacked++
          c.send({ op: 'nack', receipt: d.receipt })
        } else {
          nextExpected.set(group, n + 1)
          acked++
          ack.push(d.receipt)
        }
      }
      if (ack.length > 0) c.send({ op: 'ack', receipts: ack })
      if (acked >= total) finish()
    }
    await c.close()
  }
  let finish!: () => void
  const allDone = new Promise<void>((resolve) => (finish = resolve)).then(() => [])
  await Promise.all([consume(0), consume(1), consume(2)])

  t.equal(violations, 0, 'no delivery broke group order or the one-in-flight rule')
  t.equal(acked, total, 'every message was acked once')
  t.ok(nacked > 0, 'some were nacked and redelivered in place')
  t.ok(mostGroupsInFlight > 1, `groups were in flight in parallel (up to ${mostGroupsInFlight})`)
  t.ok(perConsumer.every((n) => n > 0), `every connection took part (${perConsumer.join(', ')})`)
  for (const [group, next] of nextExpected) t.equal(next, perGroup, `${group} finished in order`)
  const stats = await admin.request({ op: 'stats', queue: 'jobs' })
  t.match(stats.queues[0], { ready: 0, inflight: 0, published: total })
})
