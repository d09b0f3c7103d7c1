// The reserve grows with the backlog before the publishes that need it are written; a commit()
// made while it grows waits for those publishes like any other.
import t from 'tap'
import { nodeFs, type LogFs } from '../../../broker/store/log/fs.js'
import { OWED_PER_MESSAGE, RESERVE_FILE } from '../../../broker/store/log/reserve.js'
import { openJournal, publishRecord } from './fixture.js'
import { startBroker, tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { statSync } from 'node:fs'
import { basename, join } from 'node:path'

t.test('a commit made while the reserve grows waits for the publishes behind it', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const reserveFds = new Set<number>()
  let release: (() => void) | undefined
  let held: (() => void) | undefined
  const fs: LogFs = {
    ...nodeFs,
    open: async (path, flags) => {
      const fd = await nodeFs.open(path, flags)
      if (basename(path) === RESERVE_FILE) reserveFds.add(fd)
      return fd
    },
    write: async (fd, data, position) => {
      if (reserveFds.has(fd) && release === undefined && held !== undefined) {
        await new Promise<void>((resolve) => {
          release = resolve
          held?.()
        })
      }
      return nodeFs.write(fd, data, position)
    },
  }
  const { journal } = await openJournal(dir.path, { fs })
  t.teardown(() => journal.close())
  const growing = new Promise<void>((resolve) => (held = resolve))
  // Enough messages to owe more than the reserve made at start-up holds.
  const count = Math.ceil((256 * 1024) / OWED_PER_MESSAGE)
  for (let n = 0; n < count; n++) journal.append(publishRecord(n))
  await growing
  let settled = false
  const late = journal.commit().then(() => (settled = true))
  // The reserve's write is held: nothing can settle the commit but a false confirmation.
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(settled, false, 'the commit waits while the reserve grows and the publishes are not yet written')
  release?.()
  await late
  t.equal(settled, true, 'and settles once they are written')
})

t.test('the reserve grows with the backlog and shrinks once it is acked and its segments are gone', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const store = new LocalStore({ journal: new LogJournal({ dir: dir.path, segmentBytes: 64 * 1024 }) })
  const b = await startBroker({ store })
  t.teardown(() => b.stop())
  const client = await TestClient.connect(b.port)
  t.teardown(() => client.close())
  const reserve = (): number => statSync(join(dir.path, RESERVE_FILE)).size
  const empty = reserve()
  for (let round = 0; round < 40; round++) {
    await client.request({ op: 'publish', queue: 'q', messages: Array.from({ length: 100 }, (_, i) => ({ body: i })) })
  }
  const grown = reserve()
  t.ok(grown >= 4000 * OWED_PER_MESSAGE, `4,000 live messages: the reserve holds ${grown} bytes (${empty} when empty)`)
  for (;;) {
    const got = await client.request({ op: 'receive', queue: 'q', max: 100 })
    if (got.messages.length === 0) break
    await client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
  }
  // One more write, larger than a segment, starts a new one: every segment of the acked messages
  // (the acks' own included) is then behind the active one and can go.
  await client.request({ op: 'publish', queue: 'q', body: 'x'.repeat(70 * 1024) })
  // Collection runs after writes: keep writing a little until the freed segments are gone.
  const deadline = Date.now() + 5000
  // The reserve is cut back only past twice what is owed (no file churn at the margin): it ends
  // within twice its target for the few messages left, well under what the backlog needed.
  while (reserve() * 2 > grown && Date.now() < deadline) {
    await client.request({ op: 'publish', queue: 'tick', body: 1 })
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(reserve() * 2 <= grown, `drained: the reserve is back to ${reserve()} bytes (${empty} when empty, ${grown} at the peak)`)
})

t.test('a restart keeps the reserve a clean stop left: a deep backlog\'s room is not written again before the broker listens', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const first = new LocalStore({ journal: new LogJournal({ dir: dir.path }) })
  const b = await startBroker({ store: first })
  const client = await TestClient.connect(b.port)
  for (let i = 0; i < 40; i++) {
    await client.request({ op: 'publish', queue: 'q', messages: Array.from({ length: 100 }, (_, k) => ({ body: i * 100 + k })) })
  }
  await client.close()
  await b.stop()
  const kept = statSync(join(dir.path, RESERVE_FILE)).size
  t.ok(kept >= 4000 * OWED_PER_MESSAGE, `the reserve holds ${kept} bytes for 4,000 messages`)

  let reserveWrites = 0
  const reserveFds = new Set<number>()
  const fs: LogFs = {
    ...nodeFs,
    open: async (path, flags) => {
      const fd = await nodeFs.open(path, flags)
      if (basename(path) === RESERVE_FILE) reserveFds.add(fd)
      return fd
    },
    write: async (fd, data, position) => {
      if (reserveFds.has(fd)) reserveWrites++
      return nodeFs.write(fd, data, position)
    },
  }
  const second = new LocalStore({ journal: new LogJournal({ dir: dir.path, fs }) })
  await second.open()
  t.teardown(() => second.close())
  t.equal(reserveWrites, 0, 'nothing written to the reserve at start-up')
  t.equal(statSync(join(dir.path, RESERVE_FILE)).size, kept, 'and it holds what it held')
})
