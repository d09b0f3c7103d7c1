// maxReceives is never exceeded, kill -9 or not: the receive count of a delivery from a queue
// with maxReceives is in the log before the delivery leaves (PROTOCOL.md §9).
import t from 'tap'
import type { Frame } from '../helpers/broker.js'
import { dataFolder, halt, ok, queueStats, restarted, start, type Running } from './restart-helpers.js'

/**
 * A queue `work` with maxReceives 1 (and `dlq` as its dead-letter queue unless `dlq` is false)
 * and one message, delivered by `deliver`; then kill -9 and a restart for `check`.
 */
async function killedAfterDelivery(
  t: { teardown(fn: () => unknown): void }, deliver: (running: Running) => Promise<void>, check: (running: Running, mid: string) => Promise<void>, dlq = true,
): Promise<void> {
  const data = dataFolder(t)
  const running = await start(data)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  await ok(running.client, { op: 'declare', queue: 'work', maxReceives: 1, ...(dlq ? { deadLetter: 'dlq' } : {}) })
  const { mid } = await ok(running.client, { op: 'publish', queue: 'work', body: 'once' })
  await deliver(running)
  await halt(running, 'SIGKILL')
  await restarted(t, data, (again) => check(again, mid))
}

t.test('kill -9 after a receive: a message with maxReceives 1 goes to its dead-letter queue, not out again', async (t) => {
  await killedAfterDelivery(t, async ({ client }) => {
    const got = await ok(client, { op: 'receive', queue: 'work' })
    t.equal(got.messages[0]?.receives, 1)
  }, async ({ client }, mid) => {
    const again = await ok(client, { op: 'receive', queue: 'work', max: 10 })
    t.same(again.messages, [], 'not delivered a second time')
    const dead = await ok(client, { op: 'peek', queue: 'dlq', max: 10 })
    t.same(dead.messages.map((m: Frame) => m.mid), [mid], 'it is in the dead-letter queue')
    t.equal((await queueStats(client, 'work')).deadLettered, 1)
  })
})

t.test('kill -9 after a subscription delivery: the same rule holds for pushed deliveries', async (t) => {
  let delivered: string | undefined
  await killedAfterDelivery(t, async ({ client }) => {
    await ok(client, { op: 'subscribe', queue: 'work' })
    const [delivery] = await client.waitDeliveries(1)
    delivered = delivery?.mid
  }, async ({ client }, mid) => {
    t.equal(delivered, mid)
    const again = await ok(client, { op: 'receive', queue: 'work', max: 10 })
    t.same(again.messages, [], 'not delivered a second time')
    t.equal((await queueStats(client, 'dlq')).ready, 1, 'it is in the dead-letter queue')
  })
})

t.test('without a dead-letter queue, a message past maxReceives stays and is delivered again (as documented)', async (t) => {
  await killedAfterDelivery(t, async ({ client }) => {
    await ok(client, { op: 'receive', queue: 'work' })
  }, async ({ client }) => {
    const again = await ok(client, { op: 'receive', queue: 'work' })
    t.equal(again.messages[0]?.receives, 2, 'the count survived the kill')
  }, false)
})
