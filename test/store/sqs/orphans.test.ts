// Cloud mode: a long poll that SQS finishes after its reader went away (a subscriber that
// disconnected, a receive whose connection closed) has already cost the message a receive. The
// broker must hand that message, as it stands, to the next reader of the queue, not give it back
// to SQS where the next reader would see `receives: 2` (or, with maxReceives 1, the dead-letter
// queue would get it unseen). A real broker over TCP on an SqsStore talking HTTP to fauxqs; the
// test's SQS client only watches the store's ReceiveMessage calls go out and come back.
import t, { type Test } from 'tap'
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs'
import { TestClient, startBroker, type Frame, type TestBroker } from '../../helpers/broker.js'
import { startFauxqs, uniquePrefix } from '../../helpers/fauxqs.js'

const fauxqs = await startFauxqs()
t.teardown(() => fauxqs.stop())
const { sqs: observer } = fauxqs.clients()

/** How often PollWatch.until looks again when no ReceiveMessage went out or came back. */
const RECHECK_MS = 10

/** Counts the ReceiveMessage calls a client sent and the messages they brought back. */
class PollWatch {
  sent = 0
  received = 0
  private readonly waiters: (() => void)[] = []

  constructor(sqs: SQSClient) {
    sqs.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName !== 'ReceiveMessageCommand') return next(args)
      this.bump(() => this.sent++)
      const result = await next(args)
      const messages = (result.output as { Messages?: unknown[] }).Messages ?? []
      this.bump(() => (this.received += messages.length))
      return result
    }, { step: 'initialize', name: 'pollWatch' })
  }

  /**
   * Resolves once `test` holds, failing after `ms`. It is tried again at each ReceiveMessage
   * going out or coming back, and every RECHECK_MS: what the broker counts (its connections)
   * changes on no event of ours.
   */
  async until(test: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms
    while (!test()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, RECHECK_MS))
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  private bump(change: () => void): void {
    change()
    for (const wake of this.waiters.splice(0)) wake()
  }
}

interface Rig {
  b: TestBroker
  watch: PollWatch
  prefix: string
  connect(): Promise<TestClient>
}

async function rig(t: Test, label: string): Promise<Rig> {
  const prefix = uniquePrefix(label)
  const { sqs } = fauxqs.clients()
  const watch = new PollWatch(sqs)
  const b = await startBroker({ store: fauxqs.store(prefix, { sqs, subscriptionWait: 5 }) })
  t.teardown(() => b.stop())
  const connect = async (): Promise<TestClient> => {
    const c = await TestClient.connect(b.port)
    t.teardown(() => c.close())
    return c
  }
  return { b, watch, prefix, connect }
}

async function ok(c: TestClient, frame: Frame): Promise<Frame> {
  const reply = await c.request(frame)
  if (reply.ok !== true) throw new Error(`${frame.op} failed: ${JSON.stringify(reply.error)}`)
  return reply
}

/** Resolves with `work`, or fails naming `what` after `ms`. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)))
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

async function notVisible(prefix: string, queue: string): Promise<number> {
  const url = (await observer.send(new GetQueueUrlCommand({ QueueName: prefix + queue }))).QueueUrl
  const reply = await observer.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }))
  return Number(reply.Attributes?.ApproximateNumberOfMessagesNotVisible)
}

/**
 * The first reader starts a long poll on `jobs` (`start`), its connection closes while the poll is
 * out, then a message is published: the orphaned poll receives it after its reader left.
 */
async function orphanOne(r: Rig, start: (c: TestClient) => Promise<void>, visibilityTimeout = 30): Promise<string> {
  const admin = await r.connect()
  await ok(admin, { op: 'declare', queue: 'jobs', visibilityTimeout, maxReceives: 1, deadLetter: 'dead' })
  const first = await r.connect()
  const before = r.watch.sent
  await start(first)
  await r.watch.until(() => r.watch.sent > before, 'the first reader\'s long poll')
  // Gone at once, by a reset. A plain destroy() sends a FIN, which the broker cannot tell from a
  // client that only ended its sending side, and such a client is still answered, its receive's
  // long poll included (PROTOCOL.md §2 "Closing").
  first.socket.resetAndDestroy()
  await first.closed
  await r.watch.until(() => r.b.broker.connections === 1, 'the broker to see the first reader go')
  const { mid } = await ok(admin, { op: 'publish', queue: 'jobs', body: { n: 1 } })
  await r.watch.until(() => r.watch.received === 1, 'the orphaned poll to receive the message')
  await admin.close()
  return mid as string
}

async function noDeadLetters(t: Test, r: Rig): Promise<void> {
  const c = await r.connect()
  const stats = await ok(c, { op: 'stats' })
  t.match(stats.queues.find((q: Frame) => q.queue === 'dead'), { ready: 0, inflight: 0 }, 'nothing reached the dead-letter queue')
  t.match(stats.queues.find((q: Frame) => q.queue === 'jobs'), { ready: 0, inflight: 0 }, 'the message is gone once acked')
}

t.test('a subscriber connecting after the first one left gets the orphaned message with receives 1', async (t) => {
  const r = await rig(t, 'orsub')
  const mid = await orphanOne(r, async (c) => {
    await ok(c, { op: 'subscribe', queue: 'jobs', prefetch: 1 })
  })
  t.equal(await notVisible(r.prefix, 'jobs'), 1, 'held for the next reader, not given back to SQS')
  const second = await r.connect()
  const sub = await ok(second, { op: 'subscribe', queue: 'jobs', prefetch: 1 })
  const [delivery] = await within(10_000, 'delivery', second.waitDeliveries(1))
  t.match(delivery, { op: 'deliver', sub: sub.sub, mid, body: { n: 1 }, receives: 1 })
  await ok(second, { op: 'ack', receipt: delivery?.receipt })
  await noDeadLetters(t, r)
})

t.test('a receive after the subscriber left takes the orphaned message with receives 1', async (t) => {
  const r = await rig(t, 'orrcv')
  const mid = await orphanOne(r, async (c) => {
    await ok(c, { op: 'subscribe', queue: 'jobs', prefetch: 4 })
  })
  const second = await r.connect()
  const got = await within(10_000, 'receive reply', ok(second, { op: 'receive', queue: 'jobs', wait: 5 }))
  t.match(got.messages, [{ mid, body: { n: 1 }, receives: 1 }])
  t.same(await ok(second, { op: 'ack', receipt: got.messages[0].receipt }), { ok: true, acked: 1 })
  await noDeadLetters(t, r)
})

t.test('a message a receive took after its connection closed goes to the next reader with receives 1', async (t) => {
  const r = await rig(t, 'orwait')
  const mid = await orphanOne(r, async (c) => {
    c.send({ op: 'receive', queue: 'jobs', wait: 5 })
  })
  const second = await r.connect()
  const got = await within(10_000, 'receive reply', ok(second, { op: 'receive', queue: 'jobs', wait: 5 }))
  t.match(got.messages, [{ mid, receives: 1 }])
  await ok(second, { op: 'ack', receipt: got.messages[0].receipt })
  await noDeadLetters(t, r)
})

t.test('a receive already waiting in its long poll is woken for an orphaned message', async (t) => {
  const r = await rig(t, 'orwake')
  const admin = await r.connect()
  await ok(admin, { op: 'declare', queue: 'jobs', maxReceives: 1, deadLetter: 'dead' })
  const first = await r.connect()
  await ok(first, { op: 'subscribe', queue: 'jobs', prefetch: 1 })
  await r.watch.until(() => r.watch.sent === 1, 'the first subscriber\'s long poll')
  await first.close()
  await r.watch.until(() => r.b.broker.connections === 1, 'the broker to see the first subscriber go')
  const second = await r.connect()
  const waiting = second.request({ op: 'receive', queue: 'jobs', wait: 20 })
  await r.watch.until(() => r.watch.sent === 2, 'the receive\'s long poll')
  // SQS hands the message to the older poll, the orphaned one; the receive's own poll goes on.
  const { mid } = await ok(admin, { op: 'publish', queue: 'jobs', body: 'wake' })
  const got = await within(10_000, 'receive reply before its 20 s wait ran out', waiting)
  t.match(got, { ok: true, messages: [{ mid, body: 'wake', receives: 1 }] })
  await ok(second, { op: 'ack', receipt: got.messages[0].receipt })
  await noDeadLetters(t, r)
})

t.test('a subscriber that ended its side is pushed nothing its poll took; the next reader gets it with receives 1', async (t) => {
  const r = await rig(t, 'orend')
  const admin = await r.connect()
  await ok(admin, { op: 'declare', queue: 'jobs', maxReceives: 1, deadLetter: 'dead' })
  await ok(admin, { op: 'declare', queue: 'other' })
  const first = await r.connect()
  await ok(first, { op: 'subscribe', queue: 'jobs', prefetch: 1 })
  await r.watch.until(() => r.watch.sent === 1, 'the subscription\'s long poll')
  // A receive still to be answered keeps the connection open after the client's end.
  first.send({ op: 'receive', queue: 'other', wait: 2 })
  await r.watch.until(() => r.watch.sent === 2, 'the receive\'s long poll')
  first.socket.end()
  const { mid } = await ok(admin, { op: 'publish', queue: 'jobs', body: 'after the end' })
  await r.watch.until(() => r.watch.received === 1, 'the subscription\'s poll to take the message')
  t.match(await within(10_000, 'receive reply', first.reply()), { ok: true, messages: [] }, 'the receive read before the end is answered')
  await within(10_000, 'the broker closing the connection', first.closed)
  t.same(first.deliveries, [], 'nothing pushed after the client\'s end')
  const second = await r.connect()
  const got = await within(10_000, 'receive reply', ok(second, { op: 'receive', queue: 'jobs', wait: 5 }))
  t.match(got.messages, [{ mid, body: 'after the end', receives: 1 }])
  await ok(second, { op: 'ack', receipt: got.messages[0].receipt })
  await noDeadLetters(t, r)
})

t.test('an orphaned message nobody takes within its visibility timeout goes back to SQS', async (t) => {
  const r = await rig(t, 'orexp')
  const admin = await r.connect()
  await ok(admin, { op: 'declare', queue: 'jobs', visibilityTimeout: 1 })
  const first = await r.connect()
  await ok(first, { op: 'subscribe', queue: 'jobs', prefetch: 1 })
  await r.watch.until(() => r.watch.sent === 1, 'the first subscriber\'s long poll')
  await first.close()
  await r.watch.until(() => r.b.broker.connections === 1, 'the broker to see the first subscriber go')
  const { mid } = await ok(admin, { op: 'publish', queue: 'jobs', body: 'late' })
  await r.watch.until(() => r.watch.received === 1, 'the orphaned poll to receive the message')
  // SQS's visibility timeout runs on the server's clock: wait it out.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const got = await ok(admin, { op: 'receive', queue: 'jobs', wait: 5 })
  t.match(got.messages, [{ mid, body: 'late', receives: 2 }], 'received again from SQS, not handed on with a dead receipt')
  await ok(admin, { op: 'ack', receipt: got.messages[0].receipt })
})
