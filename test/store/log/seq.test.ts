// The log's sequence numbers (PROTOCOL.md §9): each publish record gets one as it is appended, the
// message keeps it for good, compaction moves the data under the same seq, and the log finds the
// data by it after any restart: from a checkpoint, from a whole-log replay, and in files written
// by an older version, whose records carry no seq.
import t from 'tap'
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/broker.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { LogJournal } from '../../../broker/store/log/journal.js'
import { CHECKPOINT_NAME, encodeCheckpoint, type CheckpointFile } from '../../../broker/store/log/checkpoint.js'
import { encodeRecord } from '../../../broker/store/log/format.js'
import { crc32 } from '../../../broker/store/log/crc32.js'
import { segmentName } from '../../../broker/store/log/segments.js'
import type { JournalRecord } from '../../../broker/store/journal.js'
import type { Delivery } from '../../../shared/protocol/types.js'
import { captureLog, segmentFiles } from './fixture.js'

const SEGMENT = 16 * 1024
const OWNER = { id: 1 }

function open(dir: string, log = captureLog().log): Promise<LocalStore> {
  const store = new LocalStore({ journal: new LogJournal({ dir, segmentBytes: SEGMENT, log }), bodiesInMemory: 4 })
  return store.open().then(() => store)
}

/** Every held message of the queue by mid: its seq. */
function seqs(store: LocalStore, queue: string): Map<string, number> {
  return new Map([...(store.queues.get(queue)?.held() ?? [])].map((m) => [m.mid, m.seq]))
}

function bodyOf(i: number): string {
  return JSON.stringify({ i, text: `ünï ${'x'.repeat(i * 7 % 90)}`, quote: '"\\' })
}

async function receiveAll(store: LocalStore, queue: string): Promise<Delivery[]> {
  const out: Delivery[] = []
  for (;;) {
    const got = await store.receive(queue, { max: 10, wait: 0, owner: OWNER })
    if (got.length === 0) return out
    out.push(...got)
  }
}

t.test('messages held through compaction keep their seqs, and every body reads back after restarts', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  let store = await open(dir.path)
  // A fifo queue holds every message as an object (no backlog), the bodies past the first few on disk only.
  await store.declare({ queue: 'keep', fifo: true })
  const bodies = new Map<string, string>()
  for (let i = 0; i < 30; i++) {
    const [mid] = await store.publish({ queue: 'keep' }, [{ bodyJson: bodyOf(i), group: `g${i}`, ...(i % 3 === 0 ? { attrs: { i: String(i) } } : {}) }])
    bodies.set(mid as string, bodyOf(i))
  }
  // Some are out with a consumer while compaction moves them.
  const out = await store.receive('keep', { max: 3, wait: 0, owner: OWNER })
  t.equal(out.length, 3)
  const before = seqs(store, 'keep')
  t.equal(before.size, 30)
  t.same([...before.values()], [...before.values()].sort((a, b) => a - b), 'seqs grow in publish order')
  t.equal(new Set(before.values()).size, 30, 'no seq twice')
  for (let round = 0; round < 120; round++) {
    await store.publish({ queue: 'churn' }, Array.from({ length: 10 }, (_, i) => ({ bodyJson: JSON.stringify(`${'z'.repeat(150)} ${round}.${i}`) })))
    const got = await store.receive('churn', { max: 10, wait: 0, owner: OWNER })
    store.ack(got.map((m) => m.receipt))
  }
  await store.journal.commit()
  t.notOk(segmentFiles(dir.path).includes(segmentName(1)), 'the file the messages were published in is gone: they were compacted')
  t.same(seqs(store, 'keep'), before, 'compaction changed no message: each keeps its seq')
  const peeked = store.peek('keep', 'ready', 100)
  t.equal(peeked.length, 27)
  t.ok(peeked.every((d) => d.bodyJson === bodies.get(d.mid)), 'peek reads every body from its new place')
  await store.close()

  for (const how of ['checkpoint', 'whole-log replay']) {
    if (how === 'whole-log replay') rmSync(join(dir.path, CHECKPOINT_NAME))
    store = await open(dir.path)
    t.same(seqs(store, 'keep'), before, `${how}: every message comes back under its seq`)
    const all = await receiveAll(store, 'keep')
    t.equal(all.length, 30, `${how}: all 30 are served, the 3 that were out among them`)
    t.ok(all.every((d) => d.bodyJson === bodies.get(d.mid)), `${how}: every body reads back as published`)
    t.ok(all.every((d) => Number(bodyOf(0) !== '' && JSON.parse(d.bodyJson).i) % 3 !== 0 || d.attrs?.i === String(JSON.parse(d.bodyJson).i)), `${how}: and every attrs`)
    for (const d of all) await store.nack(d.receipt, 0)
    await store.close()
  }
})

t.test('a seq survives restarts from a checkpoint and from a whole-log replay, and none is handed out twice', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  let store = await open(dir.path)
  await store.declare({ queue: 'q', fifo: true })
  await store.publish({ queue: 'q' }, Array.from({ length: 12 }, (_, i) => ({ bodyJson: String(i), group: `g${i}` })))
  // A refused publish takes a seq too: the next one never reuses it.
  const first = seqs(store, 'q')
  await store.close()

  store = await open(dir.path)
  t.same(seqs(store, 'q'), first, 'from the checkpoint')
  await store.publish({ queue: 'q' }, [{ bodyJson: '"late"', group: 'late' }])
  const second = seqs(store, 'q')
  const late = [...second].find(([mid]) => !first.has(mid))?.[1] as number
  t.ok(late > Math.max(...first.values()), `a publish after the restart gets a seq above every earlier one (${late})`)
  await store.close()

  rmSync(join(dir.path, CHECKPOINT_NAME))
  store = await open(dir.path)
  t.same(seqs(store, 'q'), second, 'from a whole-log replay')
  const bodies = (await receiveAll(store, 'q')).map((d) => d.bodyJson)
  t.same(bodies, [...Array.from({ length: 12 }, (_, i) => String(i)), '"late"'], 'each served with its own body')
  await store.close()
})

/** A segment as format version 4 wrote it: the 16-byte header, then records whose publishes carry no seq. */
function v4Segment(records: JournalRecord[]): Buffer {
  const header = Buffer.alloc(16)
  header.write('HUBQLOG\0', 0, 'latin1')
  header.writeUInt16BE(4, 8)
  header.writeUInt32BE(crc32(header.subarray(0, 12)), 12)
  return Buffer.concat([header, ...records.map((record) => encodeRecord(record))])
}

const NOW = Date.now() - 60_000

t.test('a log written by the previous format version opens and serves its messages', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const published = Array.from({ length: 24 }, (_, i) => ({ mid: `018bcfe5-6800-7896-a024-${String(i).padStart(12, '0')}`, bodyJson: bodyOf(i) }))
  const records = (from: number, to: number): JournalRecord[] => published.slice(from, to).map(({ mid, bodyJson }, i) => ({
    type: 'publish', queues: ['old'], mid, bodyJson, publishedAt: NOW + from + i, visibleAt: 0,
  }))
  writeFileSync(join(dir.path, segmentName(1)), v4Segment([
    { type: 'declare', config: { queue: 'old', visibilityTimeout: 30, maxReceives: 0, delay: 0, retention: 345600, fifo: false } },
    ...records(0, 12),
    { type: 'delete', queue: 'old', mid: published[0]?.mid as string },
  ]))
  writeFileSync(join(dir.path, segmentName(2)), v4Segment(records(12, 24)))
  // A checkpoint an older version wrote (positions, no seqs): not used.
  const old = { position: { segment: 2, at: 16 }, segments: [{ id: 1, size: 16, entries: 0, metadata: true, version: 4 }], store: { queues: [], topics: [] } }
  writeFileSync(join(dir.path, CHECKPOINT_NAME), encodeCheckpoint(old as unknown as CheckpointFile))

  const { log, lines } = captureLog()
  let store = await open(dir.path, log)
  t.ok(lines.some((l) => /checkpoint .* is not usable \(written by an older version/.test(l.msg)), 'the older checkpoint is set aside')
  const numbered = seqs(store, 'old')
  t.same([...numbered.values()], Array.from({ length: 23 }, (_, i) => i + 2), 'publishes numbered in log order (the deleted first one had 1)')
  t.same(store.peek('old', 'ready', 100).map((d) => d.bodyJson), published.slice(1).map((p) => p.bodyJson), 'peek reads every body')
  await store.publish({ queue: 'fresh' }, [{ bodyJson: '"new"' }])
  const fresh = seqs(store, 'fresh')
  t.same([...fresh.values()], [25], 'a new publish gets the next seq')
  t.same(segmentFiles(dir.path), [segmentName(1), segmentName(2), segmentName(3)], 'written to a new file of the current version')
  await store.close()

  for (const how of ['checkpoint', 'whole-log replay']) {
    if (how === 'whole-log replay') rmSync(join(dir.path, CHECKPOINT_NAME))
    store = await open(dir.path)
    t.same(seqs(store, 'old'), numbered, `${how}: the older files' messages keep the numbers they had`)
    t.same(seqs(store, 'fresh'), fresh, `${how}: and the newer one its own`)
    const all = await receiveAll(store, 'old')
    t.same(all.map((d) => d.bodyJson), published.slice(1).map((p) => p.bodyJson), `${how}: every body is served, in order`)
    t.same((await receiveAll(store, 'fresh')).map((d) => d.bodyJson), ['"new"'], `${how}: the newer file's too`)
    for (const d of all) await store.nack(d.receipt, 0)
    await store.close()
  }
  t.ok(readdirSync(dir.path).includes(segmentName(1)), 'the older files are left as they are')
})

t.test('after a restart from a checkpoint, bodies are found by seq in any order, before and after new appends', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  let store = await open(dir.path)
  await store.declare({ queue: 'r', fifo: true })
  const bodies = new Map<string, string>()
  const publish = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i += 10) {
      const inputs = Array.from({ length: 10 }, (_, k) => ({ bodyJson: bodyOf(i + k), group: `g${i + k}` }))
      const mids = await store.publish({ queue: 'r' }, inputs)
      mids.forEach((mid, k) => bodies.set(mid, bodyOf(i + k)))
    }
  }
  await publish(0, 300)
  await store.close()
  t.ok(segmentFiles(dir.path).length >= 3, 'the messages span several files, none of which the restart reads')

  store = await open(dir.path)
  // Appended after the checkpoint's place, in the file it is in: indexed as they are written.
  await publish(300, 360)
  const held = [...(store.queues.get('r')?.held() ?? [])]
  t.equal(held.length, 360)
  const readBody = store.journal.readBody as (seq: number) => { bodyJson: string } | undefined
  // A fixed shuffle: every lookup far from the one before.
  const order = held.map((m, i) => [(i * 7919) % held.length, m] as const).sort(([a], [b]) => a - b).map(([, m]) => m)
  const wrong = order.filter((m) => readBody(m.seq)?.bodyJson !== bodies.get(m.mid))
  t.same(wrong.map((m) => m.seq), [], 'every body found by its seq, in shuffled order')
  t.same(order.filter((m) => readBody(m.seq)?.bodyJson !== bodies.get(m.mid)).length, 0, 'and again, from the index built by the first pass')
  await store.close()
})
