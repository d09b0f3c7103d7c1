// redrive moves a dead-letter queue's messages back to the queues they died in, receive counts
// reset, with a journal 'move' record each; messages that never died anywhere stay.
import t, { type Test } from 'tap'
import { openWithClient, TestClient, type Frame } from '../helpers/broker.js'
import { GatedJournal, RecordingJournal } from '../topics/recording-journal.js'

async function open(t: Test, journal: RecordingJournal = new RecordingJournal()) {
  const { c, stop } = await openWithClient(t, { journal })
  return { c, journal, stop }
}

/** Receives and nacks everything in `queue` until it is empty: each message dies after maxReceives. */
async function killAll(c: TestClient, queue: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    // One at a time: a nacked message comes straight back, so they die in queue order.
    const [m] = (await c.request({ op: 'receive', queue })).messages as Frame[]
    if (!m) return
    await c.request({ op: 'nack', receipt: m.receipt })
  }
  throw new Error(`${queue} never emptied`)
}

function sortedByBody(rows: unknown[]): unknown[] {
  return [...rows].sort((a, b) => String((a as unknown[])[0]).localeCompare(String((b as unknown[])[0])))
}

async function peek(c: TestClient, queue: string): Promise<unknown[]> {
  const reply = await c.request({ op: 'peek', queue, max: 100 })
  return (reply.messages as Frame[]).map((m) => [m.body, m.receives])
}

t.test('messages go back where they died, receive counts reset; others stay', async (t) => {
  const { c, journal } = await open(t)
  await c.request({ op: 'declare', queue: 'dlq' })
  await c.request({ op: 'declare', queue: 'a', maxReceives: 2, deadLetter: 'dlq' })
  await c.request({ op: 'declare', queue: 'b', maxReceives: 1, deadLetter: 'dlq' })
  await c.request({ op: 'publish', queue: 'a', messages: [{ body: 'a1' }, { body: 'a2' }] })
  await c.request({ op: 'publish', queue: 'b', body: 'b1' })
  await c.request({ op: 'publish', queue: 'dlq', body: 'direct' })
  await killAll(c, 'a')
  await killAll(c, 'b')
  t.same(await peek(c, 'dlq'), [['direct', 0], ['a1', 2], ['a2', 2], ['b1', 1]])
  t.match((await c.request({ op: 'stats', queue: 'a' })).queues[0], { deadLettered: 2, ready: 0 })

  t.same(await c.request({ op: 'redrive', id: 1, queue: 'dlq' }), { id: 1, ok: true, moved: 3 })
  t.same(await peek(c, 'dlq'), [['direct', 0]], 'a message with no origin stays')
  t.same(await peek(c, 'a'), [['a1', 0], ['a2', 0]])
  t.same(await peek(c, 'b'), [['b1', 0]])
  const again = (await c.request({ op: 'receive', queue: 'a', max: 10 })).messages as Frame[]
  t.same(again.map((m) => [m.body, m.receives]), [['a1', 1], ['a2', 1]], 'the first redelivery counts 1')
  const moves = journal.records.filter((r) => r.type === 'move' && r.from === 'dlq')
  t.same(moves.map((r) => r.type === 'move' && [r.to, r.receives, r.origin]), [['a', 0, undefined], ['a', 0, undefined], ['b', 0, undefined]])
  t.same(await c.request({ op: 'redrive', id: 2, queue: 'dlq' }), { id: 2, ok: true, moved: 0 }, 'nothing left to move')

  // A redriven message that fails again dies again, after the full maxReceives.
  for (const m of [...again].reverse()) await c.request({ op: 'nack', receipt: m.receipt })
  t.same(await peek(c, 'dlq'), [['direct', 0]], 'one failure is not enough any more')
  await killAll(c, 'a')
  t.same(await peek(c, 'dlq'), [['direct', 0], ['a1', 2], ['a2', 2]])
})

t.test('a message in flight in the dead-letter queue stays until released', async (t) => {
  const { c } = await open(t)
  await c.request({ op: 'declare', queue: 'q', maxReceives: 1, deadLetter: 'dead' })
  await c.request({ op: 'publish', queue: 'q', messages: [{ body: 1 }, { body: 2 }] })
  await killAll(c, 'q')
  const [held] = (await c.request({ op: 'receive', queue: 'dead' })).messages as Frame[]
  t.equal(held?.body, 1)
  t.equal((await c.request({ op: 'redrive', queue: 'dead' })).moved, 1)
  t.same(await peek(c, 'q'), [[2, 0]])
  await c.request({ op: 'nack', receipt: held?.receipt })
  t.equal((await c.request({ op: 'redrive', queue: 'dead' })).moved, 1)
  t.same(await peek(c, 'q'), [[2, 0], [1, 0]])
  t.same(await peek(c, 'dead'), [])
})

t.test('fifo messages go back to their groups in order', async (t) => {
  const { c } = await open(t)
  await c.request({ op: 'declare', queue: 'dead', fifo: true })
  await c.request({ op: 'declare', queue: 'f', fifo: true, maxReceives: 1, deadLetter: 'dead' })
  await c.request({ op: 'publish', queue: 'f', messages: [1, 2, 3].map((n) => ({ body: n, group: 'g' })) })
  await killAll(c, 'f')
  t.equal((await c.request({ op: 'redrive', queue: 'dead' })).moved, 3)
  const order: unknown[] = []
  for (let i = 0; i < 3; i++) {
    const [m] = (await c.request({ op: 'receive', queue: 'f', max: 10 })).messages as Frame[]
    order.push([m?.body, m?.group, m?.receives])
    await c.request({ op: 'ack', receipt: m?.receipt })
  }
  t.same(order, [[1, 'g', 1], [2, 'g', 1], [3, 'g', 1]])
})

t.test('origins survive a restart, and so does a redrive', async (t) => {
  const first = new RecordingJournal()
  const before = await open(t, first)
  await before.c.request({ op: 'declare', queue: 'q', maxReceives: 1, deadLetter: 'dead' })
  await before.c.request({ op: 'publish', queue: 'q', messages: [{ body: 1 }, { body: 2 }] })
  await before.c.request({ op: 'publish', queue: 'dead', body: 'direct' })
  await killAll(before.c, 'q')
  await before.stop()

  const middle = await open(t, new RecordingJournal(first))
  // Compared as sets: a restart may order a standard queue by publish time rather than arrival.
  t.same(sortedByBody(await peek(middle.c, 'dead')), [[1, 1], [2, 1], ['direct', 0]])
  t.match((await middle.c.request({ op: 'stats', queue: 'q' })).queues[0], { deadLettered: 2 })
  t.equal((await middle.c.request({ op: 'redrive', queue: 'dead' })).moved, 2, 'origins were replayed')
  await middle.stop()

  const after = await open(t, new RecordingJournal(first))
  t.same(await peek(after.c, 'dead'), [['direct', 0]])
  t.same(await peek(after.c, 'q'), [[1, 0], [2, 0]])
  const got = (await after.c.request({ op: 'receive', queue: 'q', max: 10 })).messages as Frame[]
  t.same(got.map((m) => [m.body, m.receives]), [[1, 1], [2, 1]])
})

t.test('redrive answers once its moves are durable, and refuses unknown queues', async (t) => {
  const journal = new GatedJournal()
  const { c } = await open(t, journal)
  t.equal((await c.request({ op: 'redrive', queue: 'nowhere' })).error?.code, 'not_found')
  await c.request({ op: 'declare', queue: 'q', maxReceives: 1, deadLetter: 'dead' })
  await c.request({ op: 'publish', queue: 'q', body: 1 })
  await killAll(c, 'q')
  journal.hold()
  const commitsBefore = journal.commits
  const reply = c.request({ op: 'redrive', queue: 'dead' })
  while (journal.commits === commitsBefore) await new Promise((resolve) => setImmediate(resolve))
  journal.release()
  t.same((await reply).moved, 1)
})

/** Resolves with the client's deliveries once it has `count`, or with what came by `ms` from now. */
async function deliveriesWithin(c: TestClient, count: number, ms: number): Promise<Frame[]> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })
  await Promise.race([c.waitDeliveries(count), deadline])
  clearTimeout(timer)
  return c.deliveries
}

t.test('a redrive of a delayed message that held its fifo group lets the group go on at once', async (t) => {
  const { c } = await open(t)
  await c.request({ op: 'declare', queue: 'dead', fifo: true })
  await c.request({ op: 'declare', queue: 'f', fifo: true, maxReceives: 1, deadLetter: 'dead' })
  await c.request({ op: 'publish', queue: 'f', body: 'died', group: 'g' })
  await killAll(c, 'f')
  // Published into the dead-letter queue itself, after the one that died: it has no origin.
  await c.request({ op: 'publish', queue: 'dead', body: 'direct', group: 'g' })
  const [died] = (await c.request({ op: 'receive', queue: 'dead', max: 10 })).messages as Frame[]
  t.equal(died?.body, 'died')
  // Nacked with a delay, it holds its group: 'direct' waits behind it.
  await c.request({ op: 'nack', receipt: died?.receipt, delay: 600 })
  const consumer = await TestClient.connect(c.socket.remotePort as number)
  t.teardown(() => consumer.close())
  t.ok((await consumer.request({ op: 'subscribe', queue: 'dead' })).ok)
  await consumer.request({ op: 'ping' })
  t.same(consumer.deliveries, [], 'the group is held')

  t.equal((await c.request({ op: 'redrive', queue: 'dead' })).moved, 1)
  const got = await deliveriesWithin(consumer, 1, 2000)
  t.same(got.map((m) => m.body), ['direct'], 'the group goes on with nothing else to set it off')
})
