// One set of behaviour tests every MessageStore runs unchanged, driven through a real broker over
// TCP (so it also proves TCP and nc clients see no difference). Where a backend differs, the test
// names the difference: each name is a row of PROTOCOL.md "Cloud mode differences".
//
// A backend that keeps its state on disk also restarts: each scenario restarts its broker in its
// middle, where PROTOCOL.md §6.12 says state survives (after confirmed publishes, acks, nacks,
// declarations), and its assertions after the restart are the same as without one.
import type { Test } from 'tap'
import type { MessageStore } from '../../../broker/store/types.js'
import type { AuthSettings } from '../../../broker/auth/settings.js'
import { startBroker, TestClient, type Frame, type TestBroker } from '../../helpers/broker.js'
import { authFrom } from '../../hardening/helpers.js'

/** `maxQueues` is the broker's `--max-queues`, which every store enforces itself. */
export interface StoreOptions {
  maxQueues?: number
}

export interface Backend {
  store: MessageStore
  /**
   * A new store on the same data, made with the same options, for a broker restarting on it (the
   * stopped broker has closed the store before). Absent: the scenarios run without restarts.
   */
  reopen?(): Promise<MessageStore>
  cleanup(): Promise<void> | void
}

export type MakeStore = (options?: StoreOptions) => Promise<Backend>

/** Every difference a backend may declare; an unknown name is a typo and fails the suite. */
export const KNOWN_EXCEPTIONS = new Set([
  'peek',               // peek answers bad_request
  'delay-limit',        // delays over 900 s answer bad_request
  'whole-seconds',      // times must be whole seconds
  'attrs-limit',        // at most 10 attrs per message
  'queue-names',        // no '.' in queue and topic names
  'topic-delay',        // no per-message delay on a topic publish
  'fifo-topic',         // fifo queues cannot be bound to topics
  'topic-mid',          // a topic publish answers the SNS id; deliveries carry the SQS ids
  'redrive-new-mid',    // a redriven message gets a new mid
  'stats-counters',     // deadLettered is 0; published/acked count this process only
  'nack-delay-inflight', // a message nacked with a delay counts as inflight, not delayed
])

/**
 * A connection that comes back after a broker restart, as a client reconnects: a new connection to
 * the same port, its `hello` sent again. Its deliveries are the current connection's.
 */
class Client {
  private hello: Frame | undefined
  private constructor(private connection: TestClient) {}

  static async connect(port: number): Promise<Client> {
    return new Client(await TestClient.connect(port))
  }

  get deliveries(): Frame[] {
    return this.connection.deliveries
  }

  async request(frame: Frame): Promise<Frame> {
    const reply = await this.connection.request(frame)
    if (frame.op === 'hello' && reply.ok === true) this.hello = frame
    return reply
  }

  waitDeliveries(count: number): Promise<Frame[]> {
    return this.connection.waitDeliveries(count)
  }

  close(): Promise<void> {
    return this.connection.close()
  }

  /** Its old connection was closed by the broker's stop: a new one to `port`, authenticated as before. */
  async reconnect(port: number): Promise<void> {
    await this.connection.close()
    this.connection = await TestClient.connect(port)
    if (this.hello) await ok(this.connection, this.hello)
  }
}

async function ok(c: Client | TestClient, frame: Frame): Promise<Frame> {
  const reply = await c.request(frame)
  if (reply.ok !== true) throw new Error(`${frame.op} failed: ${JSON.stringify(reply.error)}`)
  return reply
}

async function fails(t: Test, c: Client | TestClient, frame: Frame, code: string, what: string): Promise<Frame> {
  const reply = await c.request(frame)
  t.equal(reply.ok, false, `${what}: refused`)
  t.equal(reply.error?.code, code, `${what}: ${code} (${reply.error?.message})`)
  return reply
}

const bodies = (messages: Frame[]): unknown[] => messages.map((m) => m.body)

export function conformance(t: Test, name: string, makeStore: MakeStore, exceptions: Set<string>): void {
  for (const e of exceptions) if (!KNOWN_EXCEPTIONS.has(e)) throw new Error(`unknown conformance exception ${e}`)
  const differs = (e: string): boolean => exceptions.has(e)

  /**
   * A broker on a new store with one client `c`; `connect` opens more. `restart` stops the broker
   * (its connections close, its store is closed), starts a new one over the store reopened on the
   * same data, on the same port, and reconnects every client opened here. Without `reopen` it does
   * nothing: the scenario runs as it would without a restart.
   */
  async function setup(t: Test, options: StoreOptions & { auth?: AuthSettings } = {}): Promise<{
    c: Client; port: number; connect(): Promise<Client>; restart(): Promise<void>
  }> {
    const { auth, ...storeOptions } = options
    const backend = await makeStore(storeOptions)
    const start = (store: MessageStore, port?: number): Promise<TestBroker> =>
      startBroker({ store, ...(auth ? { auth } : {}), ...(port !== undefined ? { port } : {}) })
    let b = await start(backend.store)
    const port = b.port
    const clients: Client[] = []
    const connect = async (): Promise<Client> => {
      const client = await Client.connect(port)
      clients.push(client)
      return client
    }
    const c = await connect()
    const restart = async (): Promise<void> => {
      if (!backend.reopen) return
      await b.stop()
      b = await start(await backend.reopen(), port)
      for (const client of clients) await client.reconnect(port)
    }
    t.teardown(async () => {
      for (const client of clients) await client.close()
      await b.stop()
      await backend.cleanup()
    })
    return { c, port, connect, restart }
  }

  t.test(`${name}: publish, receive and ack one message`, async (t) => {
    const { c, restart } = await setup(t)
    const before = Date.now()
    const pub = await ok(c, { op: 'publish', queue: 'q', body: { n: 1, s: 'ü' }, attrs: { k: 'v' } })
    await restart()
    const got = await ok(c, { op: 'receive', queue: 'q', wait: 1 })
    t.equal(got.messages.length, 1)
    const m = got.messages[0]
    t.equal(m.mid, pub.mid)
    t.same(m.body, { n: 1, s: 'ü' })
    t.same(m.attrs, { k: 'v' })
    t.equal(m.queue, 'q')
    t.equal(m.receives, 1)
    t.ok(m.publishedAt >= before - 2000 && m.publishedAt <= Date.now() + 2000, 'publishedAt is the publish time')
    t.same(await ok(c, { op: 'ack', receipt: m.receipt }), { ok: true, acked: 1 })
    await restart()
    await fails(t, c, { op: 'ack', receipt: m.receipt }, 'unknown_receipt', 'second ack')
    // SQS receipt handles run to several hundred characters: long ones must reach the store.
    const long = 'R'.repeat(1000)
    await fails(t, c, { op: 'ack', receipt: long }, 'unknown_receipt', 'ack with a long receipt')
    await fails(t, c, { op: 'nack', receipt: long }, 'unknown_receipt', 'nack with a long receipt')
    await fails(t, c, { op: 'touch', receipt: long, timeout: 1 }, 'unknown_receipt', 'touch with a long receipt')
    t.same((await ok(c, { op: 'receive', queue: 'q' })).messages, [])
  })

  t.test(`${name}: batches larger than 10 publish, receive and ack in order`, async (t) => {
    const { c, restart } = await setup(t)
    const messages = Array.from({ length: 25 }, (_, n) => ({ body: { n } }))
    const pub = await ok(c, { op: 'publish', queue: 'batch', messages })
    t.equal(pub.mids.length, 25)
    t.equal(new Set(pub.mids).size, 25, 'distinct mids')
    await restart()
    const got = await ok(c, { op: 'receive', queue: 'batch', max: 25, wait: 1 })
    t.same(bodies(got.messages), messages.map((m) => m.body), 'all 25, in publish order')
    t.same(got.messages.map((m: Frame) => m.mid), pub.mids, 'mids match the publish reply')
    const acked = await ok(c, { op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
    t.equal(acked.acked, 25)
    await restart()
    const stats = await ok(c, { op: 'stats', queue: 'batch' })
    t.match(stats.queues[0], { queue: 'batch', ready: 0, inflight: 0, delayed: 0 })
  })

  t.test(`${name}: a visibility timeout redelivers with a higher receive count`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'declare', queue: 'vis', visibilityTimeout: 1 })
    const pub = await ok(c, { op: 'publish', queue: 'vis', body: 'x' })
    await restart()
    const first = (await ok(c, { op: 'receive', queue: 'vis' })).messages[0]
    t.equal(first.receives, 1)
    const again = (await ok(c, { op: 'receive', queue: 'vis', wait: 5 })).messages[0]
    t.equal(again?.mid, pub.mid, 'the same message came back')
    t.equal(again?.receives, 2)
    await fails(t, c, { op: 'ack', receipt: first.receipt }, 'unknown_receipt', 'ack with the timed-out receipt')
    t.equal((await ok(c, { op: 'ack', receipt: again.receipt })).acked, 1)
  })

  t.test(`${name}: nack releases now or after its delay`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'publish', queue: 'nack', body: 'x' })
    const first = (await ok(c, { op: 'receive', queue: 'nack' })).messages[0]
    await ok(c, { op: 'nack', receipt: first.receipt })
    await restart()
    const second = (await ok(c, { op: 'receive', queue: 'nack', wait: 1 })).messages[0]
    t.equal(second?.receives, 2, 'back at once')
    await ok(c, { op: 'nack', receipt: second.receipt, delay: 1 })
    await restart()
    t.same((await ok(c, { op: 'receive', queue: 'nack' })).messages, [], 'not before its delay')
    const stats = (await ok(c, { op: 'stats', queue: 'nack' })).queues[0]
    if (differs('nack-delay-inflight')) t.match(stats, { ready: 0, inflight: 1, delayed: 0 }, 'counts as inflight')
    else t.match(stats, { ready: 0, inflight: 0, delayed: 1 }, 'counts as delayed')
    const third = (await ok(c, { op: 'receive', queue: 'nack', wait: 5 })).messages[0]
    t.equal(third?.receives, 3, 'back after its delay')
  })

  t.test(`${name}: touch extends a visibility timeout, touch 0 releases`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'publish', queue: 'touch', body: 'x' })
    await restart()
    const first = (await ok(c, { op: 'receive', queue: 'touch', visibilityTimeout: 1 })).messages[0]
    await ok(c, { op: 'touch', receipt: first.receipt, timeout: 4 })
    t.same((await ok(c, { op: 'receive', queue: 'touch', wait: 2 })).messages, [], 'still invisible past the first timeout')
    await ok(c, { op: 'touch', receipt: first.receipt, timeout: 0 })
    const again = (await ok(c, { op: 'receive', queue: 'touch', wait: 1 })).messages[0]
    t.equal(again?.receives, 2)
  })

  t.test(`${name}: a closed connection releases its unacked messages at once`, async (t) => {
    const { c, port, restart } = await setup(t)
    await ok(c, { op: 'publish', queue: 'rel', body: 'x' })
    await restart()
    const other = await TestClient.connect(port, 'text')
    t.equal((await ok(other, { op: 'receive', queue: 'rel' })).messages.length, 1)
    await other.close()
    const again = (await ok(c, { op: 'receive', queue: 'rel', wait: 5 })).messages[0]
    t.equal(again?.receives, 2)
  })

  t.test(`${name}: dead letters after maxReceives, redrive brings them back`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'declare', queue: 'dlq' })
    await ok(c, { op: 'declare', queue: 'work', maxReceives: 2, deadLetter: 'dlq' })
    const pub = await ok(c, { op: 'publish', queue: 'work', body: { job: 7 } })
    await restart()
    for (let i = 1; i <= 2; i++) {
      const m = (await ok(c, { op: 'receive', queue: 'work', wait: 1 })).messages[0]
      t.equal(m?.receives, i)
      await ok(c, { op: 'nack', receipt: m.receipt })
    }
    await restart()
    t.same((await ok(c, { op: 'receive', queue: 'work' })).messages, [], 'gone from its queue')
    const dead = (await ok(c, { op: 'receive', queue: 'dlq', wait: 1 })).messages[0]
    t.same(dead?.body, { job: 7 }, 'in the dead-letter queue')
    const stats = (await ok(c, { op: 'stats', queue: 'work' })).queues[0]
    t.equal(stats.deadLettered, differs('stats-counters') ? 0 : 1)
    await ok(c, { op: 'nack', receipt: dead.receipt })
    t.equal((await ok(c, { op: 'redrive', queue: 'dlq' })).moved, 1)
    await restart()
    const back = (await ok(c, { op: 'receive', queue: 'work', wait: 1 })).messages[0]
    t.same(back?.body, { job: 7 }, 'back in its queue')
    t.equal(back?.receives, 1, 'receive count reset')
    if (differs('redrive-new-mid')) t.not(back?.mid, pub.mid, 'a new mid')
    else t.equal(back?.mid, pub.mid, 'the same mid')
  })

  t.test(`${name}: max-queues: one queue more is limit, by declare or first use; a dead-letter queue is made over it`, async (t) => {
    const { c, restart } = await setup(t, { maxQueues: 2 })
    await ok(c, { op: 'declare', queue: 'a' })
    await ok(c, { op: 'publish', queue: 'b', body: 'made by its first publish' })
    await restart()
    const reply = await fails(t, c, { op: 'declare', queue: 'c' }, 'limit', 'declare')
    t.equal(reply.error.message, 'too many queues (max-queues 2): cannot create c')
    await fails(t, c, { op: 'publish', queue: 'd', body: 1 }, 'limit', 'publish')
    await fails(t, c, { op: 'publish', queue: 'd', messages: [{ body: 1 }, { body: 2 }] }, 'limit', 'batch publish')
    await fails(t, c, { op: 'receive', queue: 'e' }, 'limit', 'receive')
    await fails(t, c, { op: 'subscribe', queue: 'f' }, 'limit', 'subscribe')
    await ok(c, { op: 'topic', topic: 'limits' })
    await fails(t, c, { op: 'bind', topic: 'limits', queue: 'g' }, 'limit', 'bind')
    await ok(c, { op: 'bind', topic: 'limits', queue: 'b' })
    t.equal((await ok(c, { op: 'declare', queue: 'a', visibilityTimeout: 5 })).created, false, 'an existing queue still takes settings')
    // A dead-letter queue is the broker's own: made over the limit, so no message is lost to it.
    await ok(c, { op: 'declare', queue: 'a', maxReceives: 1, deadLetter: 'a-dead' })
    await ok(c, { op: 'publish', queue: 'a', body: 'poison' })
    const got = (await ok(c, { op: 'receive', queue: 'a', wait: 1 })).messages[0]
    await ok(c, { op: 'nack', receipt: got.receipt })
    await restart()
    t.same((await ok(c, { op: 'receive', queue: 'a' })).messages, [], 'gone from its queue')
    t.same(bodies((await ok(c, { op: 'receive', queue: 'a-dead', wait: 1 })).messages), ['poison'], 'in the dead-letter queue')
    t.same((await ok(c, { op: 'stats' })).queues.map((q: Frame) => q.queue).sort(), ['a', 'a-dead', 'b'])
    await ok(c, { op: 'drop', queue: 'a-dead' })
    await restart()
    await fails(t, c, { op: 'declare', queue: 'c' }, 'limit', 'declare at the limit again')
    await ok(c, { op: 'drop', queue: 'b' })
    t.equal((await ok(c, { op: 'declare', queue: 'c' })).created, true, 'a dropped queue makes room')
  })

  t.test(`${name}: delayed messages become visible after their delay`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'declare', queue: 'slow', delay: 1 })
    await ok(c, { op: 'publish', queue: 'slow', body: 'queue-delay' })
    await ok(c, { op: 'publish', queue: 'later', body: 'message-delay', delay: 1 })
    await restart()
    t.same((await ok(c, { op: 'receive', queue: 'later' })).messages, [])
    t.same((await ok(c, { op: 'receive', queue: 'slow' })).messages, [])
    t.match((await ok(c, { op: 'stats', queue: 'later' })).queues[0], { ready: 0, delayed: 1 })
    t.same(bodies((await ok(c, { op: 'receive', queue: 'later', wait: 5 })).messages), ['message-delay'])
    t.same(bodies((await ok(c, { op: 'receive', queue: 'slow', wait: 5 })).messages), ['queue-delay'])
    const long = { op: 'publish', queue: 'later', body: 'x', delay: 901 }
    if (differs('delay-limit')) {
      const reply = await fails(t, c, long, 'bad_request', 'a 901 s delay')
      t.match(reply.error.message, /900/, 'names the 900 s limit')
    } else {
      await ok(c, long)
    }
  })

  t.test(`${name}: a topic fans out to the bound queues whose filter matches`, async (t) => {
    const { c, restart } = await setup(t)
    await fails(t, c, { op: 'publish', topic: 'nowhere', body: 1 }, 'not_found', 'publish to an undeclared topic')
    t.equal((await ok(c, { op: 'topic', topic: 'events' })).created, true)
    await restart()
    t.equal((await ok(c, { op: 'topic', topic: 'events' })).created, false)
    await ok(c, { op: 'bind', topic: 'events', queue: 'all' })
    await ok(c, { op: 'bind', topic: 'events', queue: 'red', filter: { color: ['red'] } })
    await restart()
    const pub = await ok(c, {
      op: 'publish', topic: 'events',
      messages: [{ body: 'b', attrs: { color: 'blue' } }, { body: 'r', attrs: { color: 'red' } }],
    })
    const all = (await ok(c, { op: 'receive', queue: 'all', max: 10, wait: 1 })).messages
    t.same(bodies(all), ['b', 'r'])
    const red = (await ok(c, { op: 'receive', queue: 'red', max: 10, wait: 1 })).messages
    t.same(bodies(red), ['r'])
    t.same(red[0].attrs, { color: 'red' })
    if (differs('topic-mid')) t.not(red[0].mid, pub.mids[1], 'the delivery has its own mid')
    else t.equal(red[0].mid, pub.mids[1], 'the delivery has the published mid')
    const stats = await ok(c, { op: 'stats' })
    const events = stats.topics.find((x: Frame) => x.topic === 'events')
    t.same(events?.bindings.map((b: Frame) => b.queue).sort(), ['all', 'red'])
    await ok(c, { op: 'unbind', topic: 'events', queue: 'all' })
    await fails(t, c, { op: 'unbind', topic: 'events', queue: 'all' }, 'not_found', 'unbind twice')
    await ok(c, { op: 'publish', topic: 'events', body: 'r2', attrs: { color: 'red' } })
    t.same(bodies((await ok(c, { op: 'receive', queue: 'red', wait: 1 })).messages), ['r2'])
    t.same((await ok(c, { op: 'receive', queue: 'all' })).messages, [], 'unbound queue gets nothing')
    await ok(c, { op: 'drop', queue: 'red' })
    await ok(c, { op: 'declare', queue: 'red' })
    await restart()
    await ok(c, { op: 'publish', topic: 'events', body: 'r3', attrs: { color: 'red' } })
    t.same((await ok(c, { op: 'receive', queue: 'red', wait: 1 })).messages, [], 'a dropped queue left its topics')
  })

  t.test(`${name}: drop of a topic removes it and its bindings; its queues keep their messages`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'topic', topic: 'news' })
    await ok(c, { op: 'bind', topic: 'news', queue: 'inbox' })
    await ok(c, { op: 'publish', topic: 'news', body: 'kept' })
    await ok(c, { op: 'drop', topic: 'news' })
    await restart()
    await fails(t, c, { op: 'publish', topic: 'news', body: 'lost' }, 'not_found', 'publish to a dropped topic')
    await fails(t, c, { op: 'drop', topic: 'news' }, 'not_found', 'drop of a dropped topic')
    const stats = await ok(c, { op: 'stats' })
    t.notOk(stats.topics.some((x: Frame) => x.topic === 'news'), 'stats no longer lists it')
    t.same(bodies((await ok(c, { op: 'receive', queue: 'inbox', wait: 1 })).messages), ['kept'], 'the queue keeps what it was given')
    t.equal((await ok(c, { op: 'topic', topic: 'news' })).created, true, 'made again')
    t.same((await ok(c, { op: 'stats' })).topics.find((x: Frame) => x.topic === 'news')?.bindings, [], 'without its old bindings')
  })

  t.test(`${name}: fifo delivers in order, one per group in flight, and drops repeated dedupIds`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'declare', queue: 'orders', fifo: true })
    await fails(t, c, { op: 'publish', queue: 'orders', body: 1 }, 'bad_request', 'fifo publish without a group')
    await fails(t, c, { op: 'publish', queue: 'orders', body: 1, group: 'g', delay: 1 }, 'bad_request', 'fifo publish with a delay')
    await ok(c, {
      op: 'publish', queue: 'orders',
      messages: [{ body: 'a1', group: 'a' }, { body: 'a2', group: 'a' }, { body: 'b1', group: 'b' }, { body: 'a3', group: 'a' }],
    })
    const first = await ok(c, { op: 'publish', queue: 'orders', body: 'c1', group: 'c', dedupId: 'd-1' })
    await restart()
    const repeat = await ok(c, { op: 'publish', queue: 'orders', body: 'c1-again', group: 'c', dedupId: 'd-1' })
    t.equal(repeat.mid, first.mid, 'a repeated dedupId answers the first mid')
    const got = (await ok(c, { op: 'receive', queue: 'orders', max: 10, wait: 1 })).messages
    t.same(bodies(got).sort(), ['a1', 'b1', 'c1'], 'one message per group')
    t.same(got.map((m: Frame) => m.group).sort(), ['a', 'b', 'c'])
    t.same((await ok(c, { op: 'receive', queue: 'orders', max: 10 })).messages, [], 'groups in flight hold the rest back')
    const order: string[] = []
    let receipts = got.map((m: Frame) => m.receipt)
    for (let round = 0; round < 5 && receipts.length > 0; round++) {
      await ok(c, { op: 'ack', receipts })
      await restart()
      const next = (await ok(c, { op: 'receive', queue: 'orders', max: 10, wait: 1 })).messages
      order.push(...(bodies(next) as string[]))
      receipts = next.map((m: Frame) => m.receipt)
    }
    t.same(order, ['a2', 'a3'], 'group a in publish order, the repeat never delivered')
  })

  t.test(`${name}: subscribe keeps at most prefetch deliveries unacked`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'publish', queue: 'push', messages: [0, 1, 2, 3, 4].map((n) => ({ body: n })) })
    await restart()
    const sub = await ok(c, { op: 'subscribe', queue: 'push', prefetch: 2 })
    const two = await c.waitDeliveries(2)
    t.same(bodies(two), [0, 1])
    t.ok(two.every((d) => d.sub === sub.sub && d.receives === 1))
    await ok(c, { op: 'ack', receipt: two[0]?.receipt })
    const three = await c.waitDeliveries(3)
    t.equal(three.length, 3, 'one more after one ack, no more')
    t.equal(three[2]?.body, 2)
    await ok(c, { op: 'unsubscribe', sub: sub.sub })
  })

  t.test(`${name}: stats lists queues, topics and bindings by name, whatever order they were made in`, async (t) => {
    const { c, restart } = await setup(t)
    const names = ['zeta', 'alpha', 'Mixed', 'beta_dead', 'beta', 'a-b', 'a_b']
    for (const queue of names) await ok(c, { op: 'declare', queue })
    for (const topic of ['t-zulu', 't-alpha', 't-Mike']) await ok(c, { op: 'topic', topic })
    for (const queue of ['zeta', 'alpha', 'beta']) await ok(c, { op: 'bind', topic: 't-alpha', queue })
    await restart()
    const stats = await ok(c, { op: 'stats' })
    t.same(stats.queues.map((q: Frame) => q.queue), ['Mixed', 'a-b', 'a_b', 'alpha', 'beta', 'beta_dead', 'zeta'])
    t.same(stats.topics.map((topic: Frame) => topic.topic), ['t-Mike', 't-alpha', 't-zulu'], 'topics by name')
    t.same(stats.topics[1].bindings.map((b: Frame) => b.queue), ['alpha', 'beta', 'zeta'], 'bindings by queue name')
  })

  t.test(`${name}: purge empties, drop removes`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'publish', queue: 'bin', messages: [{ body: 1 }, { body: 2 }, { body: 3 }] })
    t.equal((await ok(c, { op: 'purge', queue: 'bin' })).purged, 3)
    await restart()
    t.same((await ok(c, { op: 'receive', queue: 'bin' })).messages, [])
    await ok(c, { op: 'drop', queue: 'bin' })
    await restart()
    await fails(t, c, { op: 'stats', queue: 'bin' }, 'not_found', 'stats of a dropped queue')
    await fails(t, c, { op: 'purge', queue: 'bin' }, 'not_found', 'purge of a dropped queue')
  })

  t.test(`${name}: peek`, async (t) => {
    const { c, restart } = await setup(t)
    await ok(c, { op: 'publish', queue: 'look', body: 'x' })
    await restart()
    const frame = { op: 'peek', queue: 'look' }
    if (differs('peek')) {
      const reply = await fails(t, c, frame, 'bad_request', 'peek')
      t.match(reply.error.message, /SQS/, 'says why')
    } else {
      const reply = await ok(c, frame)
      t.same(bodies(reply.messages), ['x'])
      t.equal(reply.messages[0].receipt, undefined, 'no receipt')
    }
  })

  t.test(`${name}: with auth, a receipt settles only for a token that may consume its queue`, async (t) => {
    const auth = authFrom({ tokens: [
      { name: 'alice', token: 'alice-secret-token', publish: ['alice*'], consume: ['alice*'] },
      { name: 'bob', token: 'bob-secret-token', publish: ['bob*'], consume: ['bob*'] },
    ] })
    const { c: alice, connect, restart } = await setup(t, { auth })
    const bob = await connect()
    await ok(alice, { op: 'hello', token: 'alice-secret-token' })
    await ok(bob, { op: 'hello', token: 'bob-secret-token' })
    await ok(bob, { op: 'publish', queue: 'bobsecret', messages: [{ body: 1 }, { body: 2 }] })
    await ok(alice, { op: 'publish', queue: 'alicejobs', body: 'mine' })
    await restart()
    const bobs = (await ok(bob, { op: 'receive', queue: 'bobsecret', max: 2, wait: 1 })).messages.map((m: Frame) => m.receipt)
    t.equal(bobs.length, 2)
    const mine = (await ok(alice, { op: 'receive', queue: 'alicejobs', wait: 1 })).messages[0].receipt
    await fails(t, alice, { op: 'ack', receipt: bobs[0] }, 'forbidden', "ack of another token's receipt")
    await fails(t, alice, { op: 'ack', receipts: [mine, bobs[0]] }, 'forbidden', 'a batch with one such receipt')
    await fails(t, alice, { op: 'nack', receipt: bobs[0] }, 'forbidden', 'nack')
    await fails(t, alice, { op: 'touch', receipt: bobs[1], timeout: 0 }, 'forbidden', 'touch')
    // Nothing changed: both receipts, and alice's own, still settle.
    t.equal((await ok(bob, { op: 'ack', receipts: bobs })).acked, 2)
    t.equal((await ok(alice, { op: 'ack', receipt: mine })).acked, 1)
  })

  t.test(`${name}: requests some backends refuse`, async (t) => {
    const { c, restart } = await setup(t)
    const cases: [string, Frame, string][] = [
      ['attrs-limit', { op: 'publish', queue: 'lim', body: 1, attrs: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, 'v'])) }, 'bad_request'],
      ['whole-seconds', { op: 'declare', queue: 'lim', visibilityTimeout: 1.5 }, 'bad_request'],
      ['queue-names', { op: 'publish', queue: 'a.b', body: 1 }, 'bad_request'],
    ]
    await ok(c, { op: 'declare', queue: 'limfifo', fifo: true })
    await ok(c, { op: 'topic', topic: 'limtopic' })
    await restart()
    cases.push(
      ['topic-delay', { op: 'publish', topic: 'limtopic', body: 1, delay: 1 }, 'bad_request'],
      ['fifo-topic', { op: 'bind', topic: 'limtopic', queue: 'limfifo' }, 'bad_request'],
    )
    for (const [exception, frame, code] of cases) {
      if (differs(exception)) await fails(t, c, frame, code, exception)
      else t.equal((await c.request(frame)).ok, true, `${exception}: accepted`)
    }
    // Every backend counts attrs toward the size limit (256 KiB here), as SQS does.
    const big = await c.request({ op: 'publish', queue: 'lim', body: 'x'.repeat(250_000), attrs: { big: 'y'.repeat(20_000) } })
    t.equal(big.error?.code, 'message_too_large', 'attrs count toward the size limit')
  })
}
