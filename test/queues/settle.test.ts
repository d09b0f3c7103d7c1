// A nack is answered once what it wrote is durable, and the release is made then (settle.ts):
// the visibility timeout must not release the message meanwhile, or memory would hold it one way
// (visible at once) and the log, replayed after a restart, another (delayed by the nack).
import t, { type Test } from 'tap'
import { FaultyFs } from '../store/log/fixture.js'
import { nodeFs } from '../../broker/store/log/fs.js'
import type { Frame, TestClient } from '../helpers/broker.js'
import { ManualClock } from '../../shared/clock.js'
import { durableBroker } from '../trust/inprocess.js'

/** A file system whose fdatasyncs wait while held: a commit in flight, for as long as a test likes. */
class HeldSyncFs extends FaultyFs {
  private gate: Promise<void> | undefined
  private open_: (() => void) | undefined
  private arrived: (() => void) | undefined

  /** From now on fdatasync waits; resolves once one is waiting. */
  hold(): Promise<void> {
    this.gate = new Promise((resolve) => { this.open_ = resolve })
    return new Promise((resolve) => { this.arrived = resolve })
  }

  /** The waiting fdatasyncs go on (and fail, if the disk is `full` by then). */
  release(): void {
    this.gate = undefined
    this.open_?.()
  }

  override fdatasync = async (fd: number): Promise<void> => {
    const gate = this.gate
    if (gate) {
      this.arrived?.()
      await gate
    }
    this.fsyncs++
    if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
    return nodeFs.fdatasync(fd)
  }
}

async function ok(c: TestClient, request: Frame): Promise<Frame> {
  const reply = await c.request(request)
  if (reply.ok !== true) throw new Error(`${JSON.stringify(request)} failed: ${JSON.stringify(reply)}`)
  return reply
}

async function counts(c: TestClient): Promise<Frame> {
  const { ready, inflight, delayed } = ((await ok(c, { op: 'stats', queue: 'work' })).queues as Frame[])[0] as Frame
  return { ready, inflight, delayed }
}

/**
 * A delivery (visibility timeout 30 s) nacked with a 600 s delay, its records written and their
 * fsync held while the clock passes the visibility deadline; the fsync is not yet released.
 */
async function nackPastDeadline(t: Test) {
  const clock = new ManualClock()
  const broker = durableBroker(t, { clock })
  const fs = new HeldSyncFs()
  const first = await broker.open(fs)
  const c = first.client
  await ok(c, { op: 'declare', queue: 'work', visibilityTimeout: 30 })
  await ok(c, { op: 'publish', queue: 'work', body: 'job' })
  const [got] = (await ok(c, { op: 'receive', queue: 'work' })).messages as Frame[]
  const held = fs.hold()
  c.send({ op: 'nack', id: 7, receipt: got?.receipt, delay: 600 })
  await held
  clock.advance(31_000)
  return { clock, broker, fs, first, c, receipt: got?.receipt }
}

t.test('a nack with a delay wins over a visibility timeout that runs out while it commits, now and after a restart', async (t) => {
  const { clock, broker, fs, first, c } = await nackPastDeadline(t)
  fs.release()
  t.same(await c.reply(), { id: 7, ok: true }, 'the nack is answered')
  t.same(await counts(c), { ready: 0, inflight: 0, delayed: 1 }, 'delayed by the nack, as its reply said')
  t.same((await ok(c, { op: 'receive', queue: 'work' })).messages, [], 'not delivered before its delay')
  await first.stop()

  const second = await broker.open()
  t.same(await counts(second.client), { ready: 0, inflight: 0, delayed: 1 }, 'the same after a restart')
  clock.advance(600_000)
  const [again] = (await ok(second.client, { op: 'receive', queue: 'work' })).messages as Frame[]
  t.equal(again?.body, 'job', 'visible once the delay is over')
})

t.test('a refused nack leaves the visibility timeout to release the message, once its deadline passed meanwhile', async (t) => {
  const { clock, broker, fs, first, c, receipt } = await nackPastDeadline(t)
  fs.full = true
  fs.release()
  t.equal((await c.reply()).error?.code, 'unavailable', 'the nack is refused')
  // Its deadline is behind it: the timeout releases it as soon as it runs again.
  clock.advance(1)
  t.same(await counts(c), { ready: 1, inflight: 0, delayed: 0 }, 'visible at once, not delayed')
  t.equal((await c.request({ op: 'ack', receipt })).error?.code, 'unknown_receipt', 'its receipt ran out')
  fs.full = false
  for (let i = 0; i < 500 && !first.store.healthy(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  await first.stop()

  const second = await broker.open()
  t.same(await counts(second.client), { ready: 1, inflight: 0, delayed: 0 }, 'the same after a restart')
})
