// On the durable log, a dedupId outlives the file that held its publish: the log drops files
// whose messages are all acked, and the store writes the open dedup window again first.
import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock } from '../../shared/clock.js'
import { startBroker, tempDir, TestClient } from '../helpers/broker.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { LogJournal } from '../../broker/store/log/journal.js'

const WINDOW_MS = 5 * 60 * 1000

async function brokerOn(dir: string, clock: ManualClock) {
  const store = new LocalStore({ journal: new LogJournal({ dir, segmentBytes: 4096 }), clock })
  const b = await startBroker({ store })
  const client = await TestClient.connect(b.port)
  return { client, stop: async () => { await client.close(); await b.stop() } }
}

const logFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.log')).sort()

/** Acked traffic on the queue until the log has dropped every file named in `segments`. */
async function churnUntilGone(c: TestClient, dir: string, segments: string[]): Promise<number> {
  for (let i = 1; i <= 400; i++) {
    await c.request({ op: 'publish', queue: 'f', body: 'y'.repeat(200), group: 'churn' })
    const got = await c.request({ op: 'receive', queue: 'f' })
    await c.request({ op: 'ack', receipt: got.messages[0].receipt })
    if (i % 20 === 0 && segments.every((segment) => !existsSync(join(dir, segment)))) return i
  }
  throw new Error(`${segments.join(', ')} were never all dropped`)
}

t.test('the dedup window survives restarts after the log dropped the publish record', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const clock = new ManualClock()
  const first = await brokerOn(dir.path, clock)
  await first.client.request({ op: 'declare', queue: 'f', fifo: true })
  const pub = await first.client.request({ op: 'publish', queue: 'f', body: 'x', group: 'g', dedupId: 'd1' })
  const [m] = (await first.client.request({ op: 'receive', queue: 'f' })).messages
  await first.client.request({ op: 'ack', receipt: m.receipt })
  const before = logFiles(dir.path)
  t.ok(await churnUntilGone(first.client, dir.path, before), `${before.join(', ')} dropped`)
  await first.stop()

  clock.advance(60_000)
  const second = await brokerOn(dir.path, clock)
  const again = await second.client.request({ op: 'publish', queue: 'f', body: 'x', group: 'g', dedupId: 'd1' })
  t.equal(again.mid, pub.mid, 'still a duplicate after the restart')
  // The rewritten window lives in a newer file: drop every file there is now, then restart again.
  const rewritten = logFiles(dir.path)
  t.ok(await churnUntilGone(second.client, dir.path, rewritten), `${rewritten.join(', ')} dropped`)
  await second.stop()

  clock.advance(60_000)
  const third = await brokerOn(dir.path, clock)
  t.teardown(() => third.stop())
  const stillSeen = await third.client.request({ op: 'publish', queue: 'f', body: 'x', group: 'g', dedupId: 'd1' })
  t.equal(stillSeen.mid, pub.mid, 'still a duplicate after the second restart')
  const peek = await third.client.request({ op: 'peek', queue: 'f', max: 100 })
  t.same(peek.messages, [], 'nothing was stored again')
  clock.advance(WINDOW_MS - 120_000)
  const fresh = await third.client.request({ op: 'publish', queue: 'f', body: 'z', group: 'g', dedupId: 'd1' })
  t.not(fresh.mid, pub.mid, 'the window still ends five minutes after the first publish')
})
