// Crash safety at every file-system call: a scenario that declares a queue, publishes (one at a
// time and in a batch), receives, nacks, acks, rolls segments, compacts the oldest one and
// deletes dead ones is run once to count its calls; then, for each call k, it is run again with
// the power cut at call k (test/helpers/power-cut-fs.ts keeps only what was durable), a store is
// restarted over what the disk kept, and:
// - every publish whose confirmation came is there, unless it was acked (an ack is answered at
//   once, so a message whose ack reached the disk, fsynced or not, is rightly gone);
// - no message whose ack's commit came returns, none comes back twice, and each has its body;
// - recovery reports no corruption (a torn tail it cuts is a warning, not corruption);
// - the queue keeps its settings, and its published and acked counters count nothing twice;
// - the restarted store takes a publish and an ack.
// The walk is generic: it cuts at whatever calls the log makes, so a new kind of file is covered
// as soon as the log writes it. It runs in five power-cut variants: the unsynced writes and
// names dropped whole; the last write torn at its last or its first sector boundary; and the
// folders' unsynced name changes landed (a file created but not yet synced, a file removed
// before its folder was), all of them or all but the first (out of order). And a kill -9 at each
// call (the machine keeps everything written) under the fsync policies that confirm before the
// fsync, interval and off. In every variant a cut comes again while the restart recovers: each
// call of that recovery is cut too, and the store after the second restart is checked the same way.
import t from 'tap'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { ManualClock } from '../../../shared/clock.js'
import type { Delivery, PeekState } from '../../../shared/protocol/types.js'
import { PowerCutFs, type DiskImage } from '../../helpers/power-cut-fs.js'
import { silentLogger, type Logger } from '../../../shared/logger.js'
import type { FsyncPolicy } from '../../../broker/config.js'
import { captureLog } from './fixture.js'
import { startBroker, TestClient, type Frame } from '../../helpers/broker.js'

const DIR = '/srv/hubq/data'
const SEGMENT_BYTES = 4096
const owner = { id: 1 }

/** What the scenario was told before the power went: what a restart owes it. */
interface Outcome {
  declared: boolean
  /** Messages whose publish was confirmed. */
  confirmed: Set<string>
  /** Every confirmed message's body, by mid. */
  bodies: Map<string, string>
  /** Every body sent, confirmed or not. */
  sent: Set<string>
  /** Messages acked: the consumer was told so at once, the ack's record may yet be lost. */
  ackTold: Set<string>
  /** Messages whose ack's commit resolved. */
  acked: Set<string>
  /** How far it got, for a failure message. */
  step: string
}

function body(n: number): string {
  return JSON.stringify({ n, pad: 'x'.repeat(300) })
}

function open(fs: PowerCutFs, log = silentLogger, fsync: FsyncPolicy = { mode: 'always' }): { store: LocalStore; journal: LogJournal } {
  const journal = new LogJournal({ dir: DIR, fs, segmentBytes: SEGMENT_BYTES, log, retryMs: 60_000, fsync })
  // A clock that never moves: no visibility timeout or receive-count timer fires mid-run, so
  // every run makes the same calls in the same order. Few bodies in memory: the rest are read
  // back from the segments (by compaction, and after the restart).
  const store = new LocalStore({ journal, clock: new ManualClock(), bodiesInMemory: 4 })
  return { store, journal }
}

async function publish(store: LocalStore, outcome: Outcome, ns: number[]): Promise<void> {
  for (const n of ns) outcome.sent.add(body(n))
  const mids = await store.publish({ queue: 'q' }, ns.map((n) => ({ bodyJson: body(n) })))
  mids.forEach((mid, i) => outcome.bodies.set(mid, body(ns[i] as number)))
  for (const mid of mids) outcome.confirmed.add(mid)
}

async function receiveAll(store: LocalStore, max: number): Promise<Delivery[]> {
  return store.receive('q', { max, wait: 0, owner, visibilityTimeout: 3600 })
}

async function ack(store: LocalStore, journal: LogJournal, outcome: Outcome, deliveries: Delivery[]): Promise<void> {
  for (const d of deliveries) outcome.ackTold.add(d.mid)
  store.ack(deliveries.map((d) => d.receipt))
  await journal.commit()
  for (const d of deliveries) outcome.acked.add(d.mid)
}

/**
 * Declare (with maxReceives, so each delivery's receive count is committed before it leaves);
 * publish one by one into a second segment; a batch; ack all but one message of the first
 * segment (so it is compacted: its one live message rewritten at the head, then deleted);
 * publish on through another roll; nack one message with a delay and ack the rest of a
 * segment's worth (deleted outright); ack the last of the first ones; publish again so
 * collection runs behind it; ack all but a few of a segment's worth, publish on, ack the rest
 * (several segments deleted in one go); stop cleanly.
 */
async function scenario(fs: PowerCutFs, outcome: Outcome, log?: Logger, fsync?: FsyncPolicy): Promise<void> {
  const { store, journal } = open(fs, log, fsync)
  outcome.step = 'open'
  await store.open()
  outcome.step = 'declare'
  await store.declare({ queue: 'q', maxReceives: 5 })
  outcome.declared = true
  outcome.step = 'publish one by one'
  for (let n = 0; n < 14; n++) await publish(store, outcome, [n])
  outcome.step = 'publish a batch'
  await publish(store, outcome, [14, 15, 16, 17, 18, 19])
  outcome.step = 'ack the first ones but one'
  const first = await receiveAll(store, 20)
  const keep = first[2] as Delivery
  await ack(store, journal, outcome, first.filter((d) => d !== keep))
  outcome.step = 'publish through a roll'
  for (let n = 20; n < 34; n++) await publish(store, outcome, [n])
  outcome.step = 'nack one'
  const second = await receiveAll(store, 14)
  const delayed = second[0] as Delivery
  await store.nack(delayed.receipt, 60)
  outcome.step = 'ack a segment'
  await ack(store, journal, outcome, second.slice(1))
  outcome.step = 'ack the kept one'
  await ack(store, journal, outcome, [keep])
  outcome.step = 'publish behind collection'
  for (let n = 34; n < 40; n++) await publish(store, outcome, [n])
  outcome.step = 'ack all but a few, their deletes in the next segment'
  for (let n = 40; n < 52; n++) await publish(store, outcome, [n])
  const third = (await receiveAll(store, 100)).filter((d) => d.mid !== delayed.mid)
  const few = third.slice(0, 5)
  await ack(store, journal, outcome, third.slice(5))
  outcome.step = 'publish on'
  for (let n = 52; n < 66; n++) await publish(store, outcome, [n])
  outcome.step = 'ack the rest: two segments go at once'
  await ack(store, journal, outcome, [...few, ...(await receiveAll(store, 100))])
  for (let n = 66; n < 70; n++) await publish(store, outcome, [n])
  outcome.step = 'close'
  await store.close()
  outcome.step = 'closed'
}

function newOutcome(): Outcome {
  return { declared: false, confirmed: new Set(), bodies: new Map(), sent: new Set(), ackTold: new Set(), acked: new Set(), step: 'start' }
}

/** Lets what was answered before the cut reach the scenario (nothing is answered after it). */
async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** How the disk fails (see PowerCutOptions) and the policy the scenario runs under. */
type Variant = { torn?: 'most' | 'least'; names?: 'all' | 'reordered'; kill?: boolean; fsync?: FsyncPolicy }

/** Runs the scenario with the power cut at call `cutAt` (never, when undefined); the disk the restart finds, and what was told. */
async function runTo(
  cutAt: number | undefined, variant: Variant, log?: Logger,
): Promise<{ image: DiskImage; outcome: Outcome; fs: PowerCutFs; error?: unknown }> {
  const { fsync, ...disk } = variant
  const fs = new PowerCutFs({ ...(cutAt !== undefined ? { cutAt } : {}), ...disk })
  const outcome = newOutcome()
  let error: unknown
  const run = scenario(fs, outcome, log, fsync).catch((err: unknown) => {
    error = err
  })
  await Promise.race([run, fs.dead])
  if (fs.cut) {
    const image = await fs.dead
    await drain()
    return { image, outcome, fs, error }
  }
  // The run ended before call `cutAt`: the power goes after a clean stop.
  return { image: fs.image(), outcome, fs, error }
}

/** Every message the store holds in `q`, in any state. */
function held(store: LocalStore): Delivery[] {
  if (!store.queues.has('q')) return []
  const states: PeekState[] = ['ready', 'inflight', 'delayed']
  return states.flatMap((state) => store.peek('q', state, 1_000_000))
}

/**
 * Restarts over `image` with the power cut at call `cutAt` of the restart: the disk it leaves
 * then, or undefined when the restart was done before that call.
 */
async function cutDuringRestart(image: DiskImage, cutAt: number, variant: Variant): Promise<DiskImage | undefined> {
  const { fsync: _policy, ...disk } = variant
  const fs = PowerCutFs.fromImage(image, { cutAt, ...disk })
  const { store } = open(fs)
  const opened = store.open().then(() => true, () => true)
  const done = await Promise.race([opened, fs.dead.then(() => false)])
  if (!done) return fs.dead
  fs.disarm()
  await store.close()
  return undefined
}

/** Restarts over `image` and says what is wrong, if anything; `seen` counts the torn tails recovery cut. */
async function restartAndCheck(image: DiskImage, outcome: Outcome, seen = { tornTails: 0 }): Promise<string[]> {
  const problems: string[] = []
  const { log, lines } = captureLog()
  const fs = PowerCutFs.fromImage(image)
  const { store, journal } = open(fs, log)
  try {
    await store.open()
  } catch (err) {
    return [`the restart failed: ${(err as Error).message}`]
  }
  if (lines.some((l: Frame) => /^log: torn tail/.test(l.msg))) seen.tornTails++
  const errors = lines.filter((l: Frame) => l.level >= 50)
  for (const line of errors) problems.push(`recovery logged an error: ${line.msg}`)
  const queue = store.queues.get('q')
  if (outcome.declared && queue?.config.maxReceives !== 5) problems.push(`the confirmed declare of q is lost (${JSON.stringify(queue?.config)})`)
  const counted = queue ? store.stats('q').queues[0] : undefined
  if (counted) {
    // The counters survive the segments their records were in, and no record is counted twice.
    if (counted.published < outcome.confirmed.size || counted.published > outcome.sent.size) {
      problems.push(`published counts ${counted.published}, not between ${outcome.confirmed.size} confirmed and ${outcome.sent.size} sent`)
    }
    if (counted.acked < outcome.acked.size || counted.acked > outcome.ackTold.size) {
      problems.push(`acked counts ${counted.acked}, not between ${outcome.acked.size} committed and ${outcome.ackTold.size} told`)
    }
  }
  const messages = held(store)
  const mids = messages.map((m) => m.mid)
  const present = new Set(mids)
  for (const m of messages) {
    // A message whose publish was not confirmed may still be there, with a body that was sent.
    const ok = outcome.bodies.has(m.mid) ? m.bodyJson === outcome.bodies.get(m.mid) : outcome.sent.has(m.bodyJson)
    if (!ok) problems.push(`message ${m.mid} came back with a body never sent for it: ${m.bodyJson.slice(0, 40)}`)
  }
  if (present.size !== mids.length) problems.push(`a message is held twice: ${mids.filter((m, i) => mids.indexOf(m) !== i).join(' ')}`)
  for (const mid of outcome.confirmed) {
    if (!outcome.ackTold.has(mid) && !present.has(mid)) problems.push(`confirmed message ${mid} is lost`)
  }
  for (const mid of outcome.acked) {
    if (present.has(mid)) problems.push(`acked message ${mid} came back`)
  }
  try {
    const [mid] = await store.publish({ queue: 'q' }, [{ bodyJson: '"after"' }])
    const got = (await receiveAll(store, 1_000_000)).find((d) => d.mid === mid)
    if (!got) problems.push('the publish after the restart was not delivered')
    else if (store.ack([got.receipt]) !== 1) problems.push('the ack after the restart was not taken')
    await journal.commit()
  } catch (err) {
    problems.push(`the restarted store refused a publish or an ack: ${(err as Error).message}`)
  }
  await store.close()
  return problems
}

/**
 * Walks every call of the scenario, and every call of the first restart after each cut; returns
 * the failures, one line per bad cut.
 */
async function walk(variant: Variant, counted: number): Promise<{ failures: string[]; cuts: number; tornTails: number }> {
  const failures: string[] = []
  const seen = { tornTails: 0 }
  const name = [variant.torn ? `torn (${variant.torn})` : '', variant.names ? `names (${variant.names})` : '', variant.kill ? 'kill -9' : '', variant.fsync ? `fsync ${variant.fsync.mode}` : ''].filter((s) => s).join(', ')
  let cuts = 0
  for (let k = 0; k <= counted; k++) {
    const { image, outcome, fs, error } = await runTo(k, variant)
    const call = fs.calls[k]
    const where = `${call ? `cut at call ${k} (${call.op} ${call.path}) during '${outcome.step}'` : `cut after the run (${fs.calls.length} calls)`}${name ? ` [${name}]` : ''}`
    if (error !== undefined) failures.push(`${where}: the scenario failed: ${(error as Error).message}`)
    cuts++
    for (const problem of await restartAndCheck(image, outcome, seen)) failures.push(`${where}: ${problem}`)
    for (let j = 0; ; j++) {
      const again = await cutDuringRestart(image, j, variant)
      if (!again) break
      cuts++
      for (const problem of await restartAndCheck(again, outcome, seen)) failures.push(`${where}, then at call ${j} of the restart: ${problem}`)
    }
  }
  return { failures, cuts, tornTails: seen.tornTails }
}

t.test('the scenario makes every kind of call the walk is meant to cut at', async (t) => {
  const { log, lines } = captureLog()
  const { fs, outcome, error } = await runTo(undefined, {}, log)
  t.equal(error, undefined, 'the scenario runs')
  t.equal(outcome.step, 'closed')
  const segments = (op: string): number => fs.calls.filter((c) => c.op === op && /\.log$/.test(c.path)).length
  t.ok(segments('open w') >= 3, `segments rolled (${segments('open w')} created)`)
  t.ok(segments('unlink') >= 2, `dead segments deleted (${segments('unlink')})`)
  const together = fs.calls.some((c, i) => c.op === 'unlink' && fs.calls[i + 2]?.op === 'unlink' && /\.log$/.test(c.path))
  t.ok(together, 'several segments deleted in one go')
  t.ok(lines.some((l) => /^log: compacted/.test(l.msg)), 'a segment was compacted')
  t.ok(fs.calls.some((c) => c.op === 'fsync'), 'the folder is fsynced')
  t.ok(fs.calls.length > 100, `${fs.calls.length} calls to walk`)
  t.same(await restartAndCheck(fs.image(), outcome), [], 'a clean stop restarts clean')
})

t.test('a folder the log made is still there after a power cut', async (t) => {
  // The data folder and its parents did not exist: a confirmed publish must not vanish with
  // the folder's own name, which is durable only once its parent is fsynced.
  const fs = new PowerCutFs()
  const b = await startBroker({ store: open(fs).store })
  const client = await TestClient.connect(b.port)
  const published = await client.request({ op: 'publish', queue: 'q', body: 'kept' })
  t.equal(published.ok, true, 'the publish is confirmed')
  // The power goes now: the restart finds what the disk kept.
  const image = fs.image()
  await client.close()
  await b.stop()
  t.same([...image.dirs].sort(), ['/', '/srv', '/srv/hubq', DIR], 'the folders made are durable')
  const b2 = await startBroker({ store: open(PowerCutFs.fromImage(image)).store })
  t.teardown(() => b2.stop())
  const c2 = await TestClient.connect(b2.port)
  t.teardown(() => c2.close())
  const got = await c2.request({ op: 'receive', queue: 'q', max: 10 })
  t.same(got.messages.map((m: Frame) => [m.mid, m.body]), [[published.mid, 'kept']], 'the confirmed message survives the cut')
})

const variants: [string, Variant][] = [
  ['', {}],
  [' (the last write torn at its last sector)', { torn: 'most' }],
  [' (the last write torn at its first sector)', { torn: 'least' }],
  [' (unsynced name changes landed)', { names: 'all' }],
  [' (unsynced name changes landed but the first)', { names: 'reordered' }],
  // Only the process dies: under any policy a confirmed publish is kept (PROTOCOL.md §9).
  [' (fsync interval)', { kill: true, fsync: { mode: 'interval', ms: 60_000 } }],
  [' (fsync off)', { kill: true, fsync: { mode: 'off' } }],
]
for (const [label, variant] of variants) {
  const what = variant.kill ? 'a kill -9 at any call, and again in the recovery after it,' : 'a power cut at any call, and again in the recovery after it,'
  t.test(`${what} keeps every confirmed message and no acked one${label}`, async (t) => {
    const counted = (await runTo(undefined, variant)).fs.calls.length
    const { failures, cuts, tornTails } = await walk(variant, counted)
    t.same(failures, [], `${cuts} cuts walked`)
    if (variant.torn) t.ok(tornTails > 0, `recovery cut a torn tail after ${tornTails} of them`)
  })
}
