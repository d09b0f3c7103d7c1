// §4.13 drop {topic}: a topic goes with its bindings; its queues and their messages stay. A drop
// answered is durable (kill -9 right after the reply), and a publish to it is not_found after.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../helpers/ports.js'
import { dataFolder, halt, killedAfterReplies, ok, queueStats, restarted, start } from '../trust/restart-helpers.js'

t.test('drop {topic}: the topic and its bindings go, the bound queues keep their messages', async (t) => {
  const data = dataFolder(t)
  const running = await start(data)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  const { client } = running
  await ok(client, { op: 'topic', topic: 'orders' })
  await ok(client, { op: 'topic', topic: 'kept' })
  await ok(client, { op: 'bind', topic: 'orders', queue: 'eu' })
  await ok(client, { op: 'bind', topic: 'kept', queue: 'eu' })
  await ok(client, { op: 'publish', topic: 'orders', body: 'one' })
  const dropped = await client.request({ op: 'drop', topic: 'orders' })
  t.equal(dropped.ok, true, 'answered ok')
  const refused = await client.request({ op: 'publish', topic: 'orders', body: 'two' })
  t.equal(refused.error?.code, 'not_found', 'a publish to the dropped topic is not_found')
  const again = await client.request({ op: 'drop', topic: 'orders' })
  t.equal(again.error?.code, 'not_found', 'a second drop is not_found, as for a queue')
  const stats = await ok(client, { op: 'stats' })
  t.same(stats.topics, [{ topic: 'kept', bindings: [{ queue: 'eu' }] }], 'only the other topic is listed, its binding kept')
  t.equal((await queueStats(client, 'eu')).ready, 1, 'the bound queue keeps what the topic gave it')
  await ok(client, { op: 'topic', topic: 'orders' })
  const fresh = await ok(client, { op: 'stats' })
  t.same(fresh.topics.find((x: { topic: string }) => x.topic === 'orders'), { topic: 'orders', bindings: [] }, 'made again, it starts with no bindings')
  await halt(running, 'SIGTERM')
})

t.test('drop {topic} names one thing: a topic or a queue, not both, not neither', async (t) => {
  const data = dataFolder(t)
  const running = await start(data)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  const both = await running.client.request({ op: 'drop', topic: 'a', queue: 'b' })
  t.equal(both.error?.code, 'bad_request')
  const neither = await running.client.request({ op: 'drop' })
  t.equal(neither.error?.code, 'bad_request')
  await halt(running, 'SIGTERM')
})

t.test('a topic drop answered just before kill -9 is kept', async (t) => {
  const data = dataFolder(t)
  const rounds = 3
  const replies = await killedAfterReplies(t, data, rounds, async ({ client }, i) => {
    await ok(client, { op: 'topic', topic: `t${i}` })
    await ok(client, { op: 'bind', topic: `t${i}`, queue: `q${i}` })
    return [{ op: 'drop', topic: `t${i}` }]
  })
  t.same(replies.map(([r]) => r?.ok), Array(rounds).fill(true))
  await restarted(t, data, async ({ client }) => {
    const stats = await ok(client, { op: 'stats' })
    t.same(stats.topics, [], 'no dropped topic comes back')
    for (let i = 0; i < rounds; i++) {
      const refused = await client.request({ op: 'publish', topic: `t${i}`, body: i })
      t.equal(refused.error?.code, 'not_found')
    }
  })
})

t.test('a topic an older face only hid (DeleteTopic, `deleted` in sqs-face.json) is dropped at start-up', async (t) => {
  const data = dataFolder(t)
  const first = await start(data, ['--sqs-port', String(await freePort())])
  t.teardown(() => first.broker.child.kill('SIGKILL'))
  await ok(first.client, { op: 'topic', topic: 'hidden' })
  await ok(first.client, { op: 'topic', topic: 'shown' })
  await halt(first, 'SIGTERM')
  writeFileSync(join(data, 'sqs-face.json'), JSON.stringify({
    version: 1, queues: {}, subscriptions: {},
    topics: { hidden: { attributes: {}, tags: {}, deleted: true }, shown: { attributes: { DisplayName: 'S' }, tags: {} } },
  }))
  const second = await start(data, ['--sqs-port', String(await freePort())])
  t.teardown(() => second.broker.child.kill('SIGKILL'))
  const stats = await ok(second.client, { op: 'stats' })
  t.same(stats.topics.map((x: { topic: string }) => x.topic), ['shown'])
  const state = JSON.parse(readFileSync(join(data, 'sqs-face.json'), 'utf8'))
  t.same(Object.keys(state.topics), ['shown'], 'the face forgot the hidden topic too')
  await halt(second, 'SIGTERM')
})
