// A subscriber gets a message as soon as it is published; the publisher's confirm waits for the
// journal's commit. A commit that fails withdraws the messages no consumer has taken yet.
import t from 'tap'
import { LocalStore } from '../../../broker/store/local/store.js'
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
    for (const w of this.waiting.splice(0)) (err === undefined ? w.resolve() : w.reject(err))
  }
}

async function setup(): Promise<{ journal: HeldJournal; store: LocalStore }> {
  const journal = new HeldJournal()
  const store = new LocalStore({ journal })
  await store.open()
  store.declare({ queue: 'q' })
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
  t.same(journal.records.map((r) => r.type), ['declare', 'publish', 'receive'], 'the publish record precedes the receive')
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
