// A reply means it is in the log: kill -9 right after the reply to a declare, a drop or a purge
// finds it done after the restart (PROTOCOL.md §6 "Semantics").
import t from 'tap'
import { tempDir } from '../helpers/broker.js'
import { halt, ok, queueStats, start } from './restart-helpers.js'

const ROUNDS = 5

t.test('a declare answered just before kill -9 is kept: the queue stays fifo with its dead-letter settings', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  for (let i = 0; i < ROUNDS; i++) {
    const running = await start(data.path)
    t.teardown(() => running.broker.child.kill('SIGKILL'))
    running.client.send({ op: 'declare', queue: `f${i}`, fifo: true, maxReceives: 3, deadLetter: `d${i}` })
    const reply = await running.client.reply()
    running.broker.child.kill('SIGKILL')
    t.equal(reply.ok, true)
    await halt(running, 'SIGKILL')
  }
  const running = await start(data.path)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  for (let i = 0; i < ROUNDS; i++) {
    const refused = await running.client.request({ op: 'publish', queue: `f${i}`, body: 1 })
    t.equal(refused.error?.code, 'bad_request', `f${i} is still fifo: a publish without a group is refused`)
  }
  await halt(running, 'SIGTERM')
})

t.test('a drop answered just before kill -9 is kept', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  for (let i = 0; i < ROUNDS; i++) {
    const running = await start(data.path)
    t.teardown(() => running.broker.child.kill('SIGKILL'))
    await ok(running.client, { op: 'publish', queue: `q${i}`, body: i })
    running.client.send({ op: 'drop', queue: `q${i}` })
    const reply = await running.client.reply()
    running.broker.child.kill('SIGKILL')
    t.equal(reply.ok, true)
    await halt(running, 'SIGKILL')
  }
  const running = await start(data.path)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  for (let i = 0; i < ROUNDS; i++) {
    const stats = await running.client.request({ op: 'stats', queue: `q${i}` })
    t.equal(stats.error?.code, 'not_found', `q${i} stays dropped`)
  }
  await halt(running, 'SIGTERM')
})

t.test('a purge answered just before kill -9 is kept', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  for (let i = 0; i < ROUNDS; i++) {
    const running = await start(data.path)
    t.teardown(() => running.broker.child.kill('SIGKILL'))
    await ok(running.client, { op: 'publish', messages: [{ body: 1 }, { body: 2 }], queue: `p${i}` })
    running.client.send({ op: 'purge', queue: `p${i}` })
    const reply = await running.client.reply()
    running.broker.child.kill('SIGKILL')
    t.equal(reply.purged, 2)
    await halt(running, 'SIGKILL')
  }
  const running = await start(data.path)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  for (let i = 0; i < ROUNDS; i++) t.equal((await queueStats(running.client, `p${i}`)).ready, 0, `p${i} stays empty`)
  await halt(running, 'SIGTERM')
})

t.test('a nack answered just before kill -9 is kept: its dead-letter move and its delay survive', async (t) => {
  const data = tempDir()
  t.teardown(() => data.remove())
  for (let i = 0; i < ROUNDS; i++) {
    const running = await start(data.path)
    t.teardown(() => running.broker.child.kill('SIGKILL'))
    await ok(running.client, { op: 'declare', queue: `n${i}`, maxReceives: 1, deadLetter: `n${i}.dead` })
    await ok(running.client, { op: 'publish', queue: `n${i}`, body: i })
    await ok(running.client, { op: 'publish', queue: `w${i}`, body: i })
    const dead = await ok(running.client, { op: 'receive', queue: `n${i}` })
    const waits = await ok(running.client, { op: 'receive', queue: `w${i}` })
    running.client.send({ op: 'nack', receipt: waits.messages[0].receipt, delay: 3600 })
    running.client.send({ op: 'nack', receipt: dead.messages[0].receipt })
    const replies = [await running.client.reply(), await running.client.reply()]
    running.broker.child.kill('SIGKILL')
    t.same(replies.map((r) => r.ok), [true, true])
    await halt(running, 'SIGKILL')
  }
  const running = await start(data.path)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  for (let i = 0; i < ROUNDS; i++) {
    t.equal((await queueStats(running.client, `n${i}.dead`)).ready, 1, `n${i}'s message is in its dead-letter queue`)
    t.equal((await queueStats(running.client, `w${i}`)).delayed, 1, `w${i}'s message waits out its nack delay`)
  }
  await halt(running, 'SIGTERM')
})
