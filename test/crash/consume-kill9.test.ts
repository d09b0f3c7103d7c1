// kill -9 while a consumer takes and acks messages as they are published (deliveries go out
// before the publish's fsync, acks are fsynced lazily): every confirmed publish was either
// delivered before the kill or is delivered after the restart.
import t from 'tap'
import { tempDir, TestClient } from '../helpers/broker.js'
import { spawnBroker } from './child-broker.js'
import { drain, publishAndKill } from './cycle.js'

const CYCLES = 8

/** Acks every delivery as it comes, until the connection closes; returns the mids it saw. */
async function consumeUntilClosed(port: number): Promise<Set<string>> {
  const client = await TestClient.connect(port)
  const seen = new Set<string>()
  const sub = await client.request({ op: 'subscribe', queue: 'q', prefetch: 64 })
  if (!sub.ok) throw new Error(`subscribe failed: ${JSON.stringify(sub.error)}`)
  let closed = false
  void client.closed.then(() => (closed = true))
  for (let taken = 0; !closed;) {
    await Promise.race([client.waitDeliveries(taken + 1), client.closed])
    const fresh = client.deliveries.slice(taken)
    taken += fresh.length
    if (fresh.length === 0) continue
    for (const d of fresh) seen.add(d.mid)
    if (!closed) client.send({ op: 'ack', receipts: fresh.map((d) => d.receipt) })
  }
  return seen
}

t.test(`kill -9 with a consumer acking as messages arrive, ${CYCLES} cycles: no confirmed publish is lost`, async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  let confirmedTotal = 0
  let seenBefore = 0
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const broker = await spawnBroker(dir.path)
    const before = consumeUntilClosed(broker.port)
    const confirmed = await publishAndKill(broker.port, 200 + cycle * 50, () => broker.child.kill('SIGKILL'), cycle)
    await broker.exited
    const seen = await before
    const after = await spawnBroker(dir.path)
    const client = await TestClient.connect(after.port)
    const delivered = new Set(await drain(client, 'q'))
    await client.close()
    after.child.kill('SIGTERM')
    t.equal(await after.exited, 0, `cycle ${cycle}: the restarted broker stops cleanly`)
    const lost = confirmed.filter((mid) => !seen.has(mid) && !delivered.has(mid))
    t.same(lost, [], `cycle ${cycle}: ${confirmed.length} confirmed, ${seen.size} delivered before the kill, ${delivered.size} after`)
    confirmedTotal += confirmed.length
    seenBefore += seen.size
  }
  t.ok(seenBefore > 0, `the consumer took ${seenBefore} messages before the kills`)
  t.comment(`${confirmedTotal} confirmed publishes across ${CYCLES} kills`)
})
