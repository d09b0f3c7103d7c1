// Format version 2 writes publishes with binary metadata (kind 3). Every field must come back
// exactly; version 1 folders (publishes as JSON, kind 2) must still replay, and stay untouched.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JournalRecord, PublishRecord } from '../../../broker/store/journal.js'
import { FORMAT_VERSION, RECORD_HEADER_BYTES, decodeRecordAt, encodeRecord } from '../../../broker/store/log/format.js'
import { crc32 } from '../../../broker/store/log/crc32.js'
import { segmentName } from '../../../broker/store/log/segments.js'
import { tempDir } from '../../helpers/broker.js'
import { openJournal, publishRecord, segmentFiles } from './fixture.js'

t.equal(FORMAT_VERSION, 5)

t.test('a publish record with every field round-trips through kind 3', async (t) => {
  const full: PublishRecord = {
    type: 'publish', queues: ['a', 'b.c', 'ünï'], mid: '018bcfe5-6800-7896-a024-5963371c105c',
    bodyJson: '{"text":"héllo \\n wörld","n":[1,2.5,null]}', publishedAt: 1_764_000_000_123.5, visibleAt: 0,
    attrs: { kind: 'x', 'ä': 'ö' }, group: 'g-1', dedupId: 'd-1', receives: 3, origin: 'dead', queueDelay: true,
  }
  const minimal: PublishRecord = { type: 'publish', queues: [], mid: 'm', bodyJson: '1', publishedAt: 0, visibleAt: 42 }
  for (const record of [full, minimal, publishRecord(7)]) {
    const frame = encodeRecord(record)
    t.equal(frame[8], 3, 'written as kind 3')
    t.same(decodeRecordAt(frame, 0), record, `${record.mid} reads back the same`)
  }
  const frame = encodeRecord(full)
  const last = frame.length - 1
  frame[last] = (frame[last] as number) ^ 1
  t.equal(decodeRecordAt(frame, 0), undefined, 'a flipped body bit fails the CRC')
})

t.test('queue names read back are each record\'s own, run after run and name after name of one length', async (t) => {
  // The reader hands back the name it read last when the bytes are the same: a name of the same
  // length, or one past the names it compares, must still come back as written.
  const long = 'q'.repeat(70)
  const names = [['jobs'], ['jobs'], ['mail'], ['jobs', 'mail'], ['ünï'], ['üni'], [long], [long.slice(1) + 'r'], [long], ['jobs']]
  for (const [i, queues] of names.entries()) {
    const record: PublishRecord = { type: 'publish', queues, mid: `m${i}`, bodyJson: '1', publishedAt: i, visibleAt: i }
    t.same((decodeRecordAt(encodeRecord(record), 0) as PublishRecord).queues, queues, `record ${i}: ${queues.join(',')}`)
  }
})

t.test('receive and delete records round-trip through kinds 4 and 5', async (t) => {
  const records: Extract<JournalRecord, { type: 'receive' | 'delete' }>[] = [
    { type: 'receive', queue: 'jobs', mid: '018bcfe5-6800-7896-a024-5963371c105c', receives: 7 },
    { type: 'delete', queue: 'ünï.q', mid: 'm' },
    { type: 'receive', queue: 'q', mid: 'x', receives: 4_000_000_000 },
  ]
  for (const record of records) {
    const frame = encodeRecord(record)
    t.equal(frame[8], record.type === 'receive' ? 4 : 5, `${record.type} written in binary`)
    t.same(decodeRecordAt(frame, 0), record, `${record.type} ${record.queue} reads back the same`)
  }
  t.equal(encodeRecord({ type: 'purge', queue: 'q' })[8], 1, 'other records stay JSON')
})

/** A record in the version 1 encoding, as an older hubq wrote it. */
function v1Frame(record: JournalRecord): Buffer {
  let kind = 1
  let text = JSON.stringify(record)
  if (record.type === 'publish') {
    const { bodyJson, ...meta } = record
    kind = 2
    text = JSON.stringify(meta) + '\n' + bodyJson
  }
  const payload = Buffer.from(text)
  const frame = Buffer.alloc(RECORD_HEADER_BYTES + payload.length)
  frame.writeUInt32BE(payload.length, 0)
  frame[8] = kind
  payload.copy(frame, RECORD_HEADER_BYTES)
  const head = Buffer.from([...frame.subarray(0, 4), kind])
  frame.writeUInt32BE(crc32(payload, crc32(head)), 4)
  return frame
}

function v1Header(): Buffer {
  const header = Buffer.alloc(16)
  header.write('HUBQLOG\0', 0, 'latin1')
  header.writeUInt16BE(1, 8)
  header.writeUInt32BE(crc32(header.subarray(0, 12)), 12)
  return header
}

t.test('a version 1 folder replays, and new records go to a new file of the current version', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const old: JournalRecord[] = [
    { type: 'declare', config: { queue: 'q', visibilityTimeout: 30, maxReceives: 0, delay: 0, retention: 345600, fifo: false } },
    publishRecord(1),
    { ...publishRecord(2), attrs: { k: 'v' }, group: 'g', receives: 1 },
    { type: 'receive', queue: 'q', mid: 'm1', receives: 1 },
    { type: 'delete', queue: 'q', mid: 'm1' },
  ]
  const v1Path = join(dir.path, segmentName(1))
  writeFileSync(v1Path, Buffer.concat([v1Header(), ...old.map(v1Frame)]))
  const v1Bytes = readFileSync(v1Path)

  // Its publish records carry no seq: they are given seqs in log order as they replay.
  const numbered = old.map((record, i) => (record.type === 'publish' ? { ...record, seq: i } : record))
  const first = await openJournal(dir.path)
  t.same(first.replayed, numbered, 'every version 1 record replays as written, publishes numbered in log order')
  first.journal.append(publishRecord(3))
  await first.journal.commit()
  await first.journal.close()

  t.same(segmentFiles(dir.path), [segmentName(1), segmentName(2)], 'the append started a new file')
  t.ok(readFileSync(v1Path).equals(v1Bytes), 'the version 1 file is left byte for byte')
  t.equal(readFileSync(join(dir.path, segmentName(2))).readUInt16BE(8), FORMAT_VERSION, 'the new file is of the current version')

  const second = await openJournal(dir.path)
  t.same(second.replayed, [...numbered, { ...publishRecord(3), seq: 3 }], 'both files replay, in order, each publish under the seq it had')
  await second.journal.close()
})
