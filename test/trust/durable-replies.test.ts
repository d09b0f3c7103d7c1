// A reply means it is in the log: kill -9 right after the reply to a declare, a drop, a purge or
// a nack finds it done after the restart (PROTOCOL.md §6 "Semantics").
import t from 'tap'
import { dataFolder, killedAfterReplies, ok, queueStats, restarted } from './restart-helpers.js'

const ROUNDS = 5

t.test('a declare answered just before kill -9 is kept: the queue stays fifo with its dead-letter settings', async (t) => {
  const data = dataFolder(t)
  const replies = await killedAfterReplies(t, data, ROUNDS, async (_running, i) => [
    { op: 'declare', queue: `f${i}`, fifo: true, maxReceives: 3, deadLetter: `d${i}` },
  ])
  t.same(replies.map(([r]) => r?.ok), Array(ROUNDS).fill(true))
  await restarted(t, data, async ({ client }) => {
    for (let i = 0; i < ROUNDS; i++) {
      const refused = await client.request({ op: 'publish', queue: `f${i}`, body: 1 })
      t.equal(refused.error?.code, 'bad_request', `f${i} is still fifo: a publish without a group is refused`)
    }
  })
})

t.test('a drop answered just before kill -9 is kept', async (t) => {
  const data = dataFolder(t)
  const replies = await killedAfterReplies(t, data, ROUNDS, async ({ client }, i) => {
    await ok(client, { op: 'publish', queue: `q${i}`, body: i })
    return [{ op: 'drop', queue: `q${i}` }]
  })
  t.same(replies.map(([r]) => r?.ok), Array(ROUNDS).fill(true))
  await restarted(t, data, async ({ client }) => {
    for (let i = 0; i < ROUNDS; i++) {
      const stats = await client.request({ op: 'stats', queue: `q${i}` })
      t.equal(stats.error?.code, 'not_found', `q${i} stays dropped`)
    }
  })
})

t.test('a purge answered just before kill -9 is kept', async (t) => {
  const data = dataFolder(t)
  const replies = await killedAfterReplies(t, data, ROUNDS, async ({ client }, i) => {
    await ok(client, { op: 'publish', messages: [{ body: 1 }, { body: 2 }], queue: `p${i}` })
    return [{ op: 'purge', queue: `p${i}` }]
  })
  t.same(replies.map(([r]) => r?.purged), Array(ROUNDS).fill(2))
  await restarted(t, data, async ({ client }) => {
    for (let i = 0; i < ROUNDS; i++) t.equal((await queueStats(client, `p${i}`)).ready, 0, `p${i} stays empty`)
  })
})

t.test('a nack answered just before kill -9 is kept: its dead-letter move and its delay survive', async (t) => {
  const data = dataFolder(t)
  const replies = await killedAfterReplies(t, data, ROUNDS, async ({ client }, i) => {
    await ok(client, { op: 'declare', queue: `n${i}`, maxReceives: 1, deadLetter: `n${i}.dead` })
    await ok(client, { op: 'publish', queue: `n${i}`, body: i })
    await ok(client, { op: 'publish', queue: `w${i}`, body: i })
    const dead = await ok(client, { op: 'receive', queue: `n${i}` })
    const waits = await ok(client, { op: 'receive', queue: `w${i}` })
    return [{ op: 'nack', receipt: waits.messages[0].receipt, delay: 3600 }, { op: 'nack', receipt: dead.messages[0].receipt }]
  })
  t.same(replies.map((round) => round.map((r) => r.ok)), Array(ROUNDS).fill([true, true]))
  await restarted(t, data, async ({ client }) => {
    for (let i = 0; i < ROUNDS; i++) {
      t.equal((await queueStats(client, `n${i}.dead`)).ready, 1, `n${i}'s message is in its dead-letter queue`)
      t.equal((await queueStats(client, `w${i}`)).delayed, 1, `w${i}'s message waits out its nack delay`)
    }
  })
})
