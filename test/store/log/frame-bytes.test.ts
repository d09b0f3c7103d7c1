// The bytes of format version 2 are fixed (version 5 writes the same payload behind a publish's seq): records are encoded straight into a batch's buffer and
// their CRCs partly computed in JS, and none of that may change a byte. The digests below were
// taken from the encoder that wrote one Buffer per record with zlib's CRC.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import type { JournalRecord } from '../../../broker/store/journal.js'
import { FILE_HEADER_BYTES, RECORD_HEADER_BYTES, encodeRecord, scanRecords } from '../../../broker/store/log/format.js'
import { crc32Fold, frameCrc, tableCrc32 } from '../../../broker/store/log/crc32.js'
import { tempDir } from '../../helpers/broker.js'
import { openJournal, segmentFiles } from './fixture.js'

const DIGEST = '9cec8b0ed68ea094c1729ca83fda9d36cda9d50f67a1611dcda9a295a2a1957d'

/** Every kind, with non-ASCII strings, empty and long fields, bodies on both sides of the native-CRC cut. */
function goldenRecords(): JournalRecord[] {
  const records: JournalRecord[] = []
  const bodies = ['1', JSON.stringify('y'.repeat(126)), JSON.stringify({ a: 'ü€😀', n: [1, 2.5, null] }), JSON.stringify('z'.repeat(3000)), JSON.stringify('é'.repeat(150))]
  const mids = ['018bcfe5-6800-7896-a024-5963371c105c', 'm', 'mïd-€-😀']
  const queues = [['q'], ['a', 'bé', 'c😀'], ['x'.repeat(60)], []]
  for (const bodyJson of bodies) for (const mid of mids) for (const qs of queues) {
    records.push({ type: 'publish', queues: qs, mid, bodyJson, publishedAt: 1_700_000_000_123, visibleAt: 1_700_000_000_123.5 })
    records.push({ type: 'publish', queues: qs, mid, bodyJson, publishedAt: 1, visibleAt: 2, attrs: { k: 'v', 'ü': 'é' }, group: 'g€', dedupId: 'd😀', receives: 7, origin: 'dlq-ö', queueDelay: true })
    records.push({ type: 'publish', queues: qs, mid, bodyJson, publishedAt: -5, visibleAt: 0, group: '', receives: 0 })
  }
  for (const mid of mids) for (const queue of ['q', 'jobs-1', 'ü€😀', 'x'.repeat(60)]) {
    records.push({ type: 'receive', queue, mid, receives: 1 }, { type: 'receive', queue, mid, receives: 4_000_000_000 }, { type: 'delete', queue, mid })
    records.push({ type: 'release', queue, mid, visibleAt: 123 }, { type: 'move', from: queue, to: 'dlq', mid, receives: 3, origin: queue })
    records.push({ type: 'dedup', queue, dedupId: 'dd', mid, at: 5 })
  }
  records.push({ type: 'declare', config: { queue: 'q', visibilityTimeout: 30, maxReceives: 5, delay: 0, retention: 345600, fifo: true, deadLetter: 'dlq' } })
  records.push({ type: 'drop', queue: 'q' }, { type: 'purge', queue: 'ü' }, { type: 'topic', topic: 't' }, { type: 'bind', topic: 't', queue: 'q', filter: { a: ['b'] } }, { type: 'unbind', topic: 't', queue: 'q' })
  return records
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

t.test('records encode to the same bytes as before', async (t) => {
  t.equal(encodeRecord({ type: 'receive', queue: 'jobs', mid: '018bcfe5-6800-7896-a024-5963371c105c', receives: 7 }).toString('hex'),
    '0000003491fe7ee004000000046a6f62730000002430313862636665352d363830302d373839362d613032342d35393633333731633130356300000007')
  t.equal(encodeRecord({ type: 'publish', queues: ['q'], mid: 'm1', bodyJson: '{"n":1}', publishedAt: 1_700_000_000_001, visibleAt: 0 }).toString('hex'),
    '00000027f12ace5203004278bcfe568010000000000000000000000000010000000171000000026d317b226e223a317d')
  const all = Buffer.concat(goldenRecords().map((record) => encodeRecord(record)))
  t.equal(all.length, 148093)
  t.equal(sha256(all), DIGEST)
})

t.test('a publish record with its seq (kind 6) is the seq as u64, then the same payload as kind 3', async (t) => {
  for (const seq of [1, 2 ** 32 + 5, 2 ** 53 - 1]) {
    for (const record of goldenRecords().filter((r) => r.type === 'publish').slice(0, 12)) {
      const plain = encodeRecord(record)
      const framed = encodeRecord({ ...record, seq })
      t.equal(framed.length, plain.length + 8, 'eight bytes more')
      t.equal(framed[8], 6, 'kind 6')
      t.equal(framed.readUInt32BE(0), plain.readUInt32BE(0) + 8, 'its length counts them')
      t.equal(framed.readUInt32BE(9) * 2 ** 32 + framed.readUInt32BE(13), seq, 'the seq, big-endian')
      t.ok(framed.subarray(RECORD_HEADER_BYTES + 8).equals(plain.subarray(RECORD_HEADER_BYTES)), 'then the kind 3 payload, byte for byte')
    }
  }
})

t.test('a batch written by the journal holds exactly those frames, and replays', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const records = goldenRecords()
  const { journal } = await openJournal(dir.path)
  for (const record of records) journal.append(record)
  await journal.commit()
  await journal.close()
  const [file] = segmentFiles(dir.path)
  const data = readFileSync(join(dir.path, file as string))
  // The log gave each publish record its seq as it was appended: 1, 2, 3...
  let seq = 0
  t.ok(records.every((record) => record.type !== 'publish' || record.seq === ++seq), 'publish records numbered in append order')
  t.ok(data.subarray(FILE_HEADER_BYTES).equals(Buffer.concat(records.map((record) => encodeRecord(record)))), 'the same bytes, one batch')
  const replayed: JournalRecord[] = []
  t.same(scanRecords(data, (record) => replayed.push(record)), [], 'no gaps')
  t.same(replayed, JSON.parse(JSON.stringify(records)), 'every record reads back')
})

t.test('the CRC of a frame matches zlib over its header bytes and payload, at every length', async (t) => {
  const data = randomBytes(RECORD_HEADER_BYTES + 1200)
  let bad = 0
  for (let length = 0; length <= 1200; length++) {
    const end = RECORD_HEADER_BYTES + length
    const head = Buffer.from([...data.subarray(0, 4), data[8] as number])
    const expected = zlib.crc32(data.subarray(RECORD_HEADER_BYTES, end), zlib.crc32(head))
    if (frameCrc(data, 0, end) !== expected) bad++
    if (tableCrc32(data.subarray(0, length), 12345) !== zlib.crc32(data.subarray(0, length), 12345)) bad++
    if ((~crc32Fold(data, 3, 3 + length, -1)) >>> 0 !== zlib.crc32(data.subarray(3, 3 + length))) bad++
  }
  t.equal(bad, 0)
})
