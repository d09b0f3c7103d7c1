// A refused write leaves no trace: a record whose op was answered `unavailable` (publish, declare,
// topic, bind, unbind, purge, drop, a redrive's move) never reaches the log later, while the
// bookkeeping nobody is answered on (deletes, receive counts, releases, dead-letter moves) is
// kept and written once the disk heals. And a failing log notices by itself that writes work again.
import t from 'tap'
import { tempDir } from '../../helpers/broker.js'
import { isConfirmed, type JournalRecord } from '../../../broker/store/journal.js'
import type { QueueConfig } from '../../../shared/protocol/types.js'
import { FaultyFs, heldPublishRecord, openJournal, publishRecord } from './fixture.js'

/** Polls `ok` until it holds or 3 s have passed. */
async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000
  while (!ok() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
}

const config: QueueConfig = { queue: 'refused', visibilityTimeout: 30, maxReceives: 0, delay: 0, fifo: false, retention: 345_600 }

t.test('which records are confirmed to a client and which are bookkeeping', async (t) => {
  const confirmed: JournalRecord[] = [
    publishRecord(1),
    { type: 'declare', config: config },
    { type: 'drop', queue: 'q' },
    { type: 'purge', queue: 'q' },
    { type: 'topic', topic: 't' },
    { type: 'bind', topic: 't', queue: 'q' },
    { type: 'unbind', topic: 't', queue: 'q' },
    { type: 'move', from: 'dlq', to: 'q', mid: 'm1', receives: 0 },
    { type: 'release', queue: 'q', mid: 'm1', visibleAt: 5 },
  ]
  const bookkeeping: JournalRecord[] = [
    { type: 'delete', queue: 'q', mid: 'm1' },
    { type: 'expire', queue: 'q', mid: 'm1' },
    { type: 'receive', queue: 'q', mid: 'm1', receives: 1 },
    { type: 'move', from: 'q', to: 'dlq', mid: 'm1', receives: 3, origin: 'q' },
    { type: 'counts', queue: 'q', published: 1, acked: 1, deadLettered: 0 },
    { type: 'dedup', queue: 'q', dedupId: 'd', mid: 'm1', at: 1 },
  ]
  for (const record of confirmed) t.equal(isConfirmed(record), true, `${record.type} is answered to a client`)
  for (const record of bookkeeping) t.equal(isConfirmed(record), false, `${record.type}${record.type === 'move' ? ' (dead letter)' : ''} is bookkeeping`)
})

t.test('a declare, topic and bind refused on a full disk are not in the log after it heals; a delete is', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const fs = new FaultyFs()
  const { journal } = await openJournal(dir.path, { fs, retryMs: 10 })
  journal.append(heldPublishRecord(1))
  await journal.commit()
  fs.full = true
  journal.append({ type: 'declare', config: config })
  journal.append({ type: 'topic', topic: 'refused-topic' })
  journal.append({ type: 'bind', topic: 'refused-topic', queue: 'q' })
  // An ack of a message in an older file: the live m1 keeps this segment from being collected.
  journal.append({ type: 'delete', queue: 'q', mid: 'm0' })
  await t.rejects(journal.commit(), { code: 'unavailable' }, 'the batch is refused')
  fs.full = false
  await until(() => journal.writable())
  journal.append(publishRecord(2))
  await journal.commit()
  await journal.close()

  const { journal: reopened, replayed } = await openJournal(dir.path)
  t.teardown(() => reopened.close())
  t.same(replayed.map((r) => r.type === 'publish' ? `publish ${r.mid}` : r.type), ['publish m1', 'delete', 'publish m2'],
    'the refused declare, topic and bind never landed; the delete was kept and written')
})

t.test('a failing log with nothing left to write notices by itself that writes work again', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const fs = new FaultyFs()
  const { journal } = await openJournal(dir.path, { fs, retryMs: 10 })
  t.teardown(() => journal.close())
  fs.full = true
  journal.append(publishRecord(1))
  await t.rejects(journal.commit(), { code: 'unavailable' })
  t.equal(journal.writable(), false, 'unhealthy while the disk is full')
  fs.full = false
  // No new traffic: only the retry timer can find out.
  await until(() => journal.writable())
  t.equal(journal.writable(), true, 'healthy again without any new append')
})
