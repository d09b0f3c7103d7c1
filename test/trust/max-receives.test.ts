// maxReceives is never exceeded, kill -9 or not: the receive count of a delivery from a queue
// with maxReceives is in the log before the delivery leaves (PROTOCOL.md §9).
import t from 'tap'
import { tempDir, type Frame } from '../helpers/broker.js'
import { halt, ok, queueStats, start } from './restart-helpers.js'

t.test('kill -9 after a receive: a message with maxReceives 1 goes to its dead-letter queue, not out again', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  let running = await start(data.path)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  await ok(running.client, { op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'dlq' })
  const { mid } = await ok(running.client, { op: 'publish', queue: 'work', body: 'once' })
  const got = await ok(running.client, { op: 'receive', queue: 'work' })
  t.equal(got.messages[0]?.receives, 1)
  await halt(running, 'SIGKILL')

  running = await start(data.path)
  const again = await ok(running.client, { op: 'receive', queue: 'work', max: 10 })
  t.same(again.messages, [], 'not delivered a second time')
  const dead = await ok(running.client, { op: 'peek', queue: 'dlq', max: 10 })
  t.same(dead.messages.map((m: Frame) => m.mid), [mid], 'it is in the dead-letter queue')
  t.equal((await queueStats(running.client, 'work')).deadLettered, 1)
  await halt(running, 'SIGTERM')
})

t.test('kill -9 after a subscription delivery: the same rule holds for pushed deliveries', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  let running = await start(data.path)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  await ok(running.client, { op: 'declare', queue: 'work', maxReceives: 1, deadLetter: 'dlq' })
  const { mid } = await ok(running.client, { op: 'publish', queue: 'work', body: 'once' })
  await ok(running.client, { op: 'subscribe', queue: 'work' })
  const [delivery] = await running.client.waitDeliveries(1)
  t.equal(delivery?.mid, mid)
  await halt(running, 'SIGKILL')

  running = await start(data.path)
  const again = await ok(running.client, { op: 'receive', queue: 'work', max: 10 })
  t.same(again.messages, [], 'not delivered a second time')
  t.equal((await queueStats(running.client, 'dlq')).ready, 1, 'it is in the dead-letter queue')
  await halt(running, 'SIGTERM')
})

t.test('without a dead-letter queue, a message past maxReceives stays and is delivered again (as documented)', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  let running = await start(data.path)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  await ok(running.client, { op: 'declare', queue: 'work', maxReceives: 1 })
  await ok(running.client, { op: 'publish', queue: 'work', body: 'stays' })
  await ok(running.client, { op: 'receive', queue: 'work' })
  await halt(running, 'SIGKILL')
  running = await start(data.path)
  const again = await ok(running.client, { op: 'receive', queue: 'work' })
  t.equal(again.messages[0]?.receives, 2, 'the count survived the kill')
  await halt(running, 'SIGTERM')
})
