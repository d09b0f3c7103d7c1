// A restart loads the newest checkpoint and replays only the records after it (PROTOCOL.md §9):
// the state is the same as a replay of the whole log, with a deep backlog, messages read ahead,
// acked and in flight after the checkpoint, and a purge. A damaged checkpoint is not used: the
// whole log is replayed, to the same state.
import t from 'tap'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { drain, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { spawnBroker, type ChildBroker } from '../../crash/child-broker.js'

const ARGS = ['--bodies-in-memory', '50']

async function publish(c: TestClient, queue: string, n: number): Promise<string[]> {
  const mids: string[] = []
  for (let i = 0; i < n; i += 100) {
    const reply = await c.request({ op: 'publish', queue, messages: Array.from({ length: Math.min(100, n - i) }, (_, k) => ({ body: { i: i + k } })) })
    mids.push(...(reply.mids as string[]))
  }
  return mids
}

async function ready(c: TestClient, queue: string): Promise<number> {
  return (await c.request({ op: 'stats', queue })).queues[0].ready as number
}

/** The start-up line of the log: how many records were replayed, and whether after a checkpoint. */
function startUp(broker: ChildBroker): { records: number; checkpoint: boolean } {
  const line = broker.lines.find((l) => String(l.msg).startsWith('log: replayed'))
  return { records: line?.records, checkpoint: line?.checkpoint }
}

async function stop(broker: ChildBroker, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  broker.child.kill(signal)
  await broker.exited
}

t.test('a restart from a checkpoint with records after it comes back as a replay of the whole log would', async (t) => {
  const dir = tempDir()
  const copy = tempDir()
  t.teardown(() => {
    dir.remove()
    copy.remove()
  })
  const first = await spawnBroker(dir.path, ARGS)
  let c = await TestClient.connect(first.port)
  await c.request({ op: 'declare', queue: 'q', visibilityTimeout: 600 })
  const mids = await publish(c, 'q', 600)
  await publish(c, 'p', 300)
  const got = (await c.request({ op: 'receive', queue: 'q', max: 100 })).messages as Frame[]
  await c.request({ op: 'ack', receipts: got.slice(0, 50).map((m) => m.receipt) })
  await c.close()
  // A clean stop writes a checkpoint at the end of the log.
  await stop(first, 'SIGTERM')

  const second = await spawnBroker(dir.path, ARGS)
  t.same(startUp(second), { records: 0, checkpoint: true }, 'after a clean stop, nothing to replay past the checkpoint')
  c = await TestClient.connect(second.port)
  t.equal(await ready(c, 'q'), 550, 'the 50 in flight are released')
  t.equal(await ready(c, 'p'), 300)
  // After the checkpoint: a read-ahead, acks, some left in flight, new publishes, a purge.
  const taken = [...(await c.request({ op: 'receive', queue: 'q', max: 100 })).messages, ...(await c.request({ op: 'receive', queue: 'q', max: 100 })).messages] as Frame[]
  t.same(taken.map((m) => m.mid), mids.slice(50, 250))
  await c.request({ op: 'ack', receipts: taken.slice(0, 170).map((m) => m.receipt) })
  const later = await publish(c, 'q', 200)
  t.equal((await c.request({ op: 'purge', queue: 'p' })).purged, 300)
  await c.request({ op: 'declare', queue: 'sync' })
  await c.close()
  await stop(second, 'SIGKILL')

  // The same folder with its checkpoint damaged: replayed whole.
  cpSync(dir.path, copy.path, { recursive: true })
  const damaged = join(copy.path, 'checkpoint')
  const bytes = readFileSync(damaged)
  bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 1
  writeFileSync(damaged, bytes)

  const expected = [...mids.slice(220), ...later]
  for (const [label, folder, fromCheckpoint] of [['the checkpoint', dir.path, true], ['the whole log', copy.path, false]] as const) {
    const third = await spawnBroker(folder, ARGS)
    t.teardown(() => stop(third, 'SIGTERM'))
    const seen = startUp(third)
    t.equal(seen.checkpoint, fromCheckpoint, `started from ${label}`)
    t.ok(seen.records > 0, `${seen.records} records replayed`)
    c = await TestClient.connect(third.port)
    t.equal(await ready(c, 'q'), 580, `from ${label}: the 30 in flight released, the 200 new ones ready`)
    t.equal(await ready(c, 'p'), 0, `from ${label}: the purge holds`)
    t.same(await drain(c, 'q'), expected, `from ${label}: every message not acked, once, in order`)
    await c.close()
  }
})

t.test('kill -9 while a deep backlog is being published: the restart starts from a checkpoint written on the way', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = await spawnBroker(dir.path, ARGS)
  const c = await TestClient.connect(first.port)
  // 24 MB of publishes, pipelined as producers do: more than a checkpoint's stretch (a quarter of
  // a 64 MiB segment), each of the log's batches thousands of publishes that grow the reserve.
  const body = 'x'.repeat(200)
  const total = 900
  let sent = 0
  await new Promise<void>((resolve, reject) => {
    let done = 0
    const send = (): void => {
      sent++
      c.request({ op: 'publish', queue: 'q', messages: Array.from({ length: 100 }, () => ({ body })) }).then(() => {
        if (++done === total) resolve()
        else if (sent < total) send()
      }, reject)
    }
    for (let k = 0; k < 50; k++) send()
  })
  await c.close()
  await stop(first, 'SIGKILL')
  const second = await spawnBroker(dir.path, ARGS)
  t.teardown(() => stop(second, 'SIGTERM'))
  const seen = startUp(second)
  t.equal(seen.checkpoint, true, 'started from a checkpoint')
  t.ok(seen.records < 40_000, `${seen.records} records replayed after it, of 90,001`)
  const d = await TestClient.connect(second.port)
  t.equal(await ready(d, 'q'), 90_000, 'every message is there')
  await d.close()
})
