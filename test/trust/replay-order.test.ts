// Replay does not depend on where compaction put things: a topic copy keeps its queue's delay
// after the declare that set it was rewritten behind it, and an expiry is not counted as an ack.
import t from 'tap'
import { ManualClock } from '../../shared/clock.js'
import { segmentFiles } from '../store/log/fixture.js'
import type { Frame, TestClient } from '../helpers/broker.js'
import { durableBroker } from './inprocess.js'

async function ok(c: TestClient, request: Frame): Promise<Frame> {
  const reply = await c.request(request)
  if (reply.ok !== true) throw new Error(`${JSON.stringify(request)} failed: ${JSON.stringify(reply)}`)
  return reply
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Publishes and acks filler on its own queue until the log has rolled past `segments` files. */
async function roll(c: TestClient, dir: string, segments: number): Promise<void> {
  const start = segmentFiles(dir).at(-1) as string
  while (segmentFiles(dir).filter((name) => name > start).length < segments) {
    await ok(c, { op: 'publish', queue: 'filler', messages: Array.from({ length: 10 }, () => ({ body: 'f'.repeat(100) })) })
    const got = await ok(c, { op: 'receive', queue: 'filler', max: 10 })
    await ok(c, { op: 'ack', receipts: (got.messages as Frame[]).map((m) => m.receipt) })
  }
}

t.test('a topic copy keeps its queue\'s delay after a restart once the declare was rewritten behind it', async (t) => {
  const clock = new ManualClock(Date.now())
  const broker = durableBroker(t, { clock, segmentBytes: 16384 })
  const first = await broker.open()
  const c = first.client
  await ok(c, { op: 'declare', queue: 'slow', delay: 600 })
  await ok(c, { op: 'topic', topic: 'T' })
  await ok(c, { op: 'bind', topic: 'T', queue: 'slow' })
  // A message that keeps the first file alive until after the topic publish.
  await ok(c, { op: 'publish', queue: 'pin', body: 'pin' })
  const pin = await ok(c, { op: 'receive', queue: 'pin', visibilityTimeout: 3600 })
  const firstSegment = segmentFiles(broker.dir)[0]
  await roll(c, broker.dir, 1)
  await ok(c, { op: 'publish', topic: 'T', body: 'waits' })
  // Live messages behind it keep its file from being compacted: the publish record stays where it is.
  const withPublish = segmentFiles(broker.dir).at(-1) as string
  while ((segmentFiles(broker.dir).at(-1) as string) === withPublish) {
    await ok(c, { op: 'publish', queue: 'keep', messages: Array.from({ length: 10 }, () => ({ body: 'k'.repeat(100) })) })
  }
  await ok(c, { op: 'ack', receipt: pin.messages[0].receipt })
  // The first file held the declare; once it is collected, its metadata is written at the head.
  await until(() => segmentFiles(broker.dir)[0] !== firstSegment, 'the first segment to be collected')
  t.equal((await ok(c, { op: 'stats', queue: 'slow' })).queues[0].delayed, 1, 'delayed before the restart')
  await first.stop()

  const second = await broker.open()
  const stats = (await ok(second.client, { op: 'stats', queue: 'slow' })).queues[0]
  t.equal(stats.delayed, 1, 'still delayed after the restart')
  t.equal(stats.ready, 0, 'not ready early')
})

t.test('acked does not count retention expiries after a restart', async (t) => {
  const clock = new ManualClock(Date.now())
  const broker = durableBroker(t, { clock })
  const first = await broker.open()
  const c = first.client
  await ok(c, { op: 'declare', queue: 'short', retention: 60 })
  await ok(c, { op: 'publish', queue: 'short', body: 'acked' })
  const got = await ok(c, { op: 'receive', queue: 'short' })
  await ok(c, { op: 'ack', receipt: got.messages[0].receipt })
  await ok(c, { op: 'publish', queue: 'short', body: 'expires' })
  clock.advance(61_000)
  const before = (await ok(c, { op: 'stats', queue: 'short' })).queues[0]
  t.equal(before.ready, 0, 'the second message expired')
  t.equal(before.acked, 1)
  await first.journal.commit()
  await first.stop()

  const second = await broker.open()
  const after = (await ok(second.client, { op: 'stats', queue: 'short' })).queues[0]
  t.equal(after.acked, 1, 'still one acked after the restart')
  t.equal(after.ready, 0)
})
