// A subscriber gets a message as soon as it is published; the publisher's confirm waits for the
// journal's commit. A commit that fails withdraws the messages no consumer has taken yet. A
// delivery's receive count is written once it has been out for RECEIVE_LOG_MS, or never if acked.
import t from 'tap'
import { LocalStore, RECEIVE_LOG_MS } from '../../../broker/store/local/store.js'
import { ManualClock } from '../../../shared/clock.js'
import { HubqError } from '../../../shared/errors.js'
import type { Journal, JournalRecord } from '../../../broker/store/journal.js'
import type { Delivery } from '../../../shared/protocol/types.js'

/** A journal whose commits wait until the test settles them. */
class HeldJournal implements Journal {
  readonly description = 'held'
  readonly records: JournalRecord[] = []
  private waiting: { resolve(): void; reject(err: unknown): void }[] = []
  async open(): Promise<void> {}
  append(record: JournalRecord): void {
    this.records.push(record)
  }
  commit(): Promise<void> {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }
  async close(): Promise<void> {}
  writable(): boolean {
    return true
  }
  settle(err?: unknown): void {
    for (const w of this.waiting.splice(0)) {
      if (err === undefined) w.resolve()
      else w.reject(err)
    }
  }
}

async function setup(clock = new ManualClock()): Promise<{ journal: HeldJournal; store: LocalStore }> {
  const journal = new HeldJournal()
  const store = new LocalStore({ journal, clock })
  await store.open()
  // A declare answers once its record is durable.
  const declared = store.declare({ queue: 'q' })
  journal.settle()
  await declared
  return { journal, store }
}

t.test('a subscriber gets the message before the publish is confirmed', async (t) => {
  const { journal, store } = await setup()
  t.teardown(() => store.close())
  const got: Delivery[] = []
  const delivered = new Promise<void>((resolve) => {
    store.subscribe('q', { id: 1 }, 10, (d) => {
      got.push(d)
      resolve()
    })
  })
  let confirmed = false
  const publish = store.publish({ queue: 'q' }, [{ bodyJson: '"hi"' }]).then((mids) => {
    confirmed = true
    return mids
  })
  await delivered
  t.equal(got[0]?.bodyJson, '"hi"', 'delivered')
  t.equal(confirmed, false, 'not yet confirmed: the commit is still pending')
  t.same(journal.records.map((r) => r.type), ['declare', 'publish'], 'the publish record is written')
  journal.settle()
  t.same(await publish, [got[0]?.mid], 'confirmed once the commit resolves')
})

t.test('a refused publish leaves the queue unless a consumer already has it', async (t) => {
  const { journal, store } = await setup()
  t.teardown(() => store.close())
  const refused = store.publish({ queue: 'q' }, [{ bodyJson: '1' }, { bodyJson: '2' }, { bodyJson: '3' }])
  const taken = store.receive('q', { max: 1, wait: 0, owner: { id: 2 } }) as Delivery[]
  t.equal(taken.length, 1, 'one message taken before the verdict')
  journal.settle(new HubqError('unavailable', 'disk full'))
  await t.rejects(refused, { code: 'unavailable' })
  t.match(store.stats('q').queues[0], { ready: 0, inflight: 1, published: 1 }, 'the two untaken messages are gone')
  t.same(store.peek('q', 'ready', 10), [], 'none is visible')
  t.equal(store.ack([taken[0]?.receipt as string]), 1, 'the taken one is settled as usual')
})

t.test('receive counts: written for deliveries still out after RECEIVE_LOG_MS, never for acked ones', async (t) => {
  const clock = new ManualClock()
  const { journal, store } = await setup(clock)
  t.teardown(() => store.close())
  void store.publish({ queue: 'q' }, [{ bodyJson: '1' }, { bodyJson: '2' }])
  journal.settle()
  const [a, b] = store.receive('q', { max: 2, wait: 0, owner: { id: 1 } }) as Delivery[]
  t.equal(store.ack([a?.receipt as string]), 1)
  clock.advance(RECEIVE_LOG_MS - 1)
  t.same(journal.records.filter((r) => r.type === 'receive'), [], 'nothing yet')
  clock.advance(1)
  t.match(journal.records.filter((r) => r.type === 'receive'), [{ mid: b?.mid, receives: 1 }], 'only the one still out')
  // A nack releases once what it wrote is durable (PROTOCOL.md §6.0).
  const nacked = store.nack(b?.receipt as string, 0)
  journal.settle()
  await nacked
  const [again] = store.receive('q', { max: 1, wait: 0, owner: { id: 1 } }) as Delivery[]
  void store.nack(again?.receipt as string, 0)
  t.match(journal.records.filter((r) => r.type === 'receive'), [{ receives: 1 }, { receives: 2 }], 'a release writes the count at once')
})
