// Group commit: appends made in one turn share one write and one fsync; appends that arrive
// while an fsync runs are written together by the next one.
import t from 'tap'
import { tempDir } from '../../helpers/broker.js'
import { nodeFs, type LogFs } from '../../../broker/store/log/fs.js'
import { openJournal, publishRecord } from './fixture.js'
import { UNWAITED_SYNC_MS } from '../../../broker/store/log/journal.js'
import { ManualClock } from '../../../shared/clock.js'

/** The node file system, counting writes and fsyncs; fsyncs can be held until released. */
function gatedFs() {
  const counts = { writes: 0, fsyncs: 0 }
  let held: (() => void)[] | undefined
  let onHeld: (() => void) | undefined
  let onWritten: (() => void) | undefined
  const fs: LogFs = {
    ...nodeFs,
    write: async (fd, data, position) => {
      counts.writes++
      await nodeFs.write(fd, data, position)
      // Told on the next turn, once the log has acted on the finished write.
      const told = onWritten
      onWritten = undefined
      if (told) setImmediate(told)
    },
    fdatasync: async (fd) => {
      counts.fsyncs++
      if (held) {
        await new Promise<void>((resolve) => {
          held?.push(resolve)
          onHeld?.()
        })
      }
      return nodeFs.fdatasync(fd)
    },
  }
  return {
    fs,
    counts,
    hold: () => {
      held = []
    },
    /** Resolves once the next write has finished and the log has acted on it. */
    nextWritten: () => new Promise<void>((resolve) => {
      onWritten = resolve
    }),
    /** Resolves once an fsync is waiting at the gate. */
    nextHeld: () => new Promise<void>((resolve) => {
      onHeld = resolve
    }),
    release: () => {
      const waiting = held ?? []
      held = undefined
      for (const resolve of waiting) resolve()
    },
  }
}

/** A journal in a fresh folder on a gated file system, its timers on a ManualClock; closed and removed at teardown. */
async function gatedJournal(t: { teardown(fn: () => unknown): void }) {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const gate = gatedFs()
  const clock = new ManualClock()
  const { journal } = await openJournal(dir.path, { fs: gate.fs, clock })
  t.teardown(() => journal.close())
  return { gate, journal, clock }
}

t.test('appends in one turn share one write and one fsync', async (t) => {
  const { gate, journal } = await gatedJournal(t)
  const start = { ...gate.counts }
  const commits: Promise<void>[] = []
  for (let n = 0; n < 100; n++) {
    journal.append(publishRecord(n))
    commits.push(journal.commit())
  }
  t.equal(new Set(commits).size, 1, 'every append waiting at that moment gets the same promise')
  await Promise.all(commits)
  t.equal(gate.counts.writes - start.writes, 1, 'one write')
  t.equal(gate.counts.fsyncs - start.fsyncs, 1, 'one fsync')
})

t.test('appends arriving during an fsync go into the next batch, and a commit waits for its own fsync', async (t) => {
  const { gate, journal } = await gatedJournal(t)
  const start = { ...gate.counts }
  gate.hold()
  const held = gate.nextHeld()
  journal.append(publishRecord(1))
  let firstDone = false
  const first = journal.commit().then(() => {
    firstDone = true
  })
  await held
  t.equal(firstDone, false, 'not confirmed before its fsync completes')
  const later: Promise<void>[] = []
  for (let n = 2; n <= 50; n++) {
    journal.append(publishRecord(n))
    later.push(journal.commit())
  }
  t.not(later[0], first, 'a new batch')
  t.equal(new Set(later).size, 1, 'all of them in the same next batch')
  gate.release()
  await first
  await Promise.all(later)
  t.equal(gate.counts.writes - start.writes, 2, 'two writes for two batches')
  t.equal(gate.counts.fsyncs - start.fsyncs, 2, 'two fsyncs')
})

t.test('fsync interval and off confirm after the write; interval fsyncs on its timer', async (t) => {
  for (const policy of [{ mode: 'off' as const }, { mode: 'interval' as const, ms: 50 }]) {
    const dir = tempDir()
    t.teardown(() => dir.remove())
    const gate = gatedFs()
    const clock = new ManualClock()
    const { journal } = await openJournal(dir.path, { fs: gate.fs, fsync: policy, clock })
    const start = { ...gate.counts }
    gate.hold()
    journal.append(publishRecord(1))
    await journal.commit()
    t.equal(gate.counts.writes - start.writes, 1, `${policy.mode}: written`)
    if (policy.mode === 'interval') {
      t.equal(gate.counts.fsyncs - start.fsyncs, 0, 'interval: not fsynced before its time')
      const held = gate.nextHeld()
      clock.advance(policy.ms)
      await held
      t.equal(gate.counts.fsyncs - start.fsyncs, 1, 'interval: the timer fsyncs what was written')
    } else {
      t.equal(gate.counts.fsyncs - start.fsyncs, 0, 'off: no fsync')
    }
    gate.release()
    await journal.close()
  }
})

t.test('a batch nobody waits on is written now and fsynced with the next waited batch', async (t) => {
  const { gate, journal } = await gatedJournal(t)
  const first = publishRecord(1)
  journal.append(first)
  await journal.commit()
  const start = { ...gate.counts }
  const written = gate.nextWritten()
  journal.append({ type: 'delete', queue: first.queues[0] as string, mid: first.mid })
  await written
  t.equal(gate.counts.writes - start.writes, 1, 'the ack is written at once')
  t.equal(gate.counts.fsyncs - start.fsyncs, 0, 'without an fsync of its own')
  journal.append(publishRecord(2))
  await journal.commit()
  t.equal(gate.counts.writes - start.writes, 2, 'the next publish is written')
  t.equal(gate.counts.fsyncs - start.fsyncs, 1, 'and one fsync covers both')
})

t.test('commit() after an unwaited write fsyncs it; otherwise a timer does', async (t) => {
  const { gate, journal, clock } = await gatedJournal(t)
  const start = { ...gate.counts }
  const written = gate.nextWritten()
  journal.append({ type: 'topic', topic: 't' })
  await written
  t.equal(gate.counts.fsyncs - start.fsyncs, 0, 'written, not yet fsynced')
  await journal.commit()
  t.equal(gate.counts.fsyncs - start.fsyncs, 1, 'a commit() with nothing pending fsyncs what was written')
  await journal.commit()
  t.equal(gate.counts.fsyncs - start.fsyncs, 1, 'and then has nothing left to fsync')
  gate.hold()
  const arrived = gate.nextHeld()
  const writtenU = gate.nextWritten()
  journal.append({ type: 'topic', topic: 'u' })
  await writtenU
  clock.advance(UNWAITED_SYNC_MS - 1)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(gate.counts.fsyncs - start.fsyncs, 1, 'written, and not fsynced before UNWAITED_SYNC_MS')
  clock.advance(1)
  await arrived
  gate.release()
  t.equal(gate.counts.fsyncs - start.fsyncs, 2, `an unwaited write is fsynced UNWAITED_SYNC_MS (${UNWAITED_SYNC_MS} ms) after it, without any commit()`)
})
