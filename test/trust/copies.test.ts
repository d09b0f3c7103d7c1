// A message id is not unique within a queue once fan-out and dead letters meet: a topic's copies
// of one publish, dead-lettered from two queues into one, are two messages there, before and after
// a restart (kill -9 and SIGTERM alike), and a redrive sends each back where it died.
import t from 'tap'
import { tempDir, type Frame } from '../helpers/broker.js'
import { halt, ok, queueStats, start, type Stop } from './restart-helpers.js'

for (const signal of ['SIGTERM', 'SIGKILL'] as Stop[]) {
  for (const dlqBound of [false, true]) {
    t.test(`two dead-lettered copies of one message stay two across a restart (${signal}${dlqBound ? ', D bound too' : ''})`, async (t) => {
      const data = tempDir()
      t.teardown(() => data.remove())
      let running = await start(data.path)
      t.teardown(() => running.broker.child.kill('SIGKILL'))
      const c = running.client
      await ok(c, { op: 'declare', queue: 'D' })
      await ok(c, { op: 'declare', queue: 'A', maxReceives: 1, deadLetter: 'D' })
      await ok(c, { op: 'declare', queue: 'B', maxReceives: 1, deadLetter: 'D' })
      await ok(c, { op: 'topic', topic: 'T' })
      await ok(c, { op: 'bind', topic: 'T', queue: 'A' })
      await ok(c, { op: 'bind', topic: 'T', queue: 'B' })
      if (dlqBound) await ok(c, { op: 'bind', topic: 'T', queue: 'D' })
      const { mid } = await ok(c, { op: 'publish', topic: 'T', body: 'one' })
      for (const queue of ['A', 'B']) {
        const got = await ok(c, { op: 'receive', queue })
        t.equal(got.messages[0]?.mid, mid)
        await ok(c, { op: 'nack', receipt: got.messages[0].receipt })
      }
      const expected = dlqBound ? 3 : 2
      t.equal((await queueStats(c, 'D')).ready, expected, `D holds ${expected} copies before the restart`)
      await halt(running, signal)

      running = await start(data.path)
      const d = running.client
      t.equal((await queueStats(d, 'D')).ready, expected, `D holds ${expected} copies after the restart`)
      const peeked = await ok(d, { op: 'peek', queue: 'D', max: 10 })
      t.same(peeked.messages.map((m: Frame) => m.mid), Array(expected).fill(mid), 'each copy keeps the message id')
      const moved = await ok(d, { op: 'redrive', queue: 'D' })
      t.equal(moved.moved, 2, 'redrive moves both dead-lettered copies')
      for (const queue of ['A', 'B']) {
        const back = await ok(d, { op: 'peek', queue, max: 10 })
        t.same(back.messages.map((m: Frame) => m.mid), [mid], `${queue} gets its copy back`)
        t.equal(back.messages[0]?.receives, 0, 'with its receive count reset')
      }
      t.equal((await queueStats(d, 'D')).ready, dlqBound ? 1 : 0, 'only the copy published to D stays there')

      // The redriven copies are still one each after another restart.
      await halt(running, signal)
      running = await start(data.path)
      for (const queue of ['A', 'B']) {
        t.equal((await queueStats(running.client, queue)).ready, 1, `${queue} holds its one copy after a second restart`)
      }
      await halt(running, 'SIGTERM')
    })
  }
}
