// Recovery from torn writes, garbage and flipped bits: exactly the whole, CRC-valid records are
// kept, nothing damaged is served, and new appends land right after the last good record.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, type Frame } from '../../helpers/broker.js'
import { FILE_HEADER_BYTES, encodeRecord } from '../../../broker/store/log/format.js'
import { segmentName } from '../../../broker/store/log/segments.js'
import type { JournalRecord } from '../../../broker/store/journal.js'
import { MemoryFs, captureLog, heldPublishRecord, openJournal, publishRecord } from './fixture.js'

// Thousands of recoveries: on a file system in memory (the on-disk path is the last test's).
const DIR = '/log'

const COUNT = 8
const records: JournalRecord[] = []
for (let n = 0; n < COUNT; n++) {
  records.push(n % 3 === 2 ? { type: 'delete', queue: 'q', mid: `m${n - 1}` } : publishRecord(n, `{"n":${n},"pad":"${'x'.repeat(n)}"}`))
}
// Each publish record carries the seq a fresh log hands it (1, 2, ...), so its bytes are known here.
let seq = 1
for (const record of records) if (record.type === 'publish') record.seq = seq++
/** Where each record ends in the file. */
const ends: number[] = []
let offset = FILE_HEADER_BYTES
for (const record of records) ends.push((offset += encodeRecord(record).length))

async function writeLog(fs: MemoryFs): Promise<Buffer> {
  const { journal } = await openJournal(DIR, { fs })
  for (const record of records) journal.append(record)
  await journal.commit()
  await journal.close()
  return fs.files.get(join(DIR, segmentName(1))) as Buffer
}

const extra = publishRecord(99)

/** Recovers `bytes` as the only segment; checks what was kept and that a new append follows it. */
async function recoverFrom(t: Test, fs: MemoryFs, bytes: Buffer, expected: JournalRecord[], what: string): Promise<Frame[]> {
  fs.files.set(join(DIR, segmentName(1)), Buffer.from(bytes))
  const { log, lines } = captureLog()
  const first = await openJournal(DIR, { log, fs })
  if (!sameRecords(first.replayed, expected)) t.fail(`${what}: replayed ${first.replayed.length} records, expected ${expected.length}`)
  first.journal.append(extra)
  await first.journal.commit()
  await first.journal.close()
  const second = await openJournal(DIR, { fs })
  if (!sameRecords(second.replayed, [...expected, extra])) t.fail(`${what}: the new append does not follow the kept records`)
  await second.journal.close()
  return lines
}

/** Field order aside (a publish record's body is stored apart from its other fields). */
function canonical(record: JournalRecord | undefined): string {
  return JSON.stringify(Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)))
}

function sameRecords(a: JournalRecord[], b: JournalRecord[]): boolean {
  return a.length === b.length && a.every((record, i) => canonical(record) === canonical(b[i]))
}

t.test('the log cut at every byte offset of its last records keeps exactly the whole records', async (t) => {
  const fs = new MemoryFs()
  const full = await writeLog(fs)
  t.equal(full.length, ends[COUNT - 1], 'the file is the header and the records, nothing else')
  const from = ends[COUNT - 4] as number
  let cuts = 0
  let tornLines = 0
  for (let cut = from; cut <= full.length; cut++) {
    const whole = ends.filter((end) => end <= cut).length
    const lines = await recoverFrom(t, fs, full.subarray(0, cut), records.slice(0, whole), `cut at ${cut}`)
    const torn = lines.filter((l) => /torn tail/.test(l.msg))
    if (ends.includes(cut)) {
      if (torn.length !== 0) t.fail(`cut at a record boundary ${cut} reported a torn tail`)
    } else if (torn.length === 1 && torn[0]?.offset === ends[whole - 1] && torn[0]?.file.endsWith(segmentName(1))) {
      tornLines++
    } else {
      t.fail(`cut at ${cut}: expected one torn-tail line naming the file and offset ${ends[whole - 1]}`)
    }
    cuts++
  }
  t.equal(cuts, full.length - from + 1, 'every offset of the last three records was tried')
  t.equal(tornLines, cuts - 4, 'each cut inside a record logged one line with file and offset')
})

t.test('garbage after the last record is cut and appends follow the whole records', async (t) => {
  const fs = new MemoryFs()
  const full = await writeLog(fs)
  const tails: [string, Buffer][] = [
    ['one zero byte', Buffer.alloc(1)],
    ['4 KiB of zeros', Buffer.alloc(4096)],
    ['a header claiming a huge record', Buffer.from([0x00, 0x10, 0, 0, 1, 2, 3, 4, 1, 0x7b])],
  ]
  for (let seed = 0; seed < 20; seed++) tails.push([`random bytes #${seed}`, randomBytes(1 + seed * 97)])
  for (const [what, tail] of tails) {
    const lines = await recoverFrom(t, fs, Buffer.concat([full, tail]), records, what)
    const torn = lines.filter((l) => /torn tail/.test(l.msg))
    t.equal(torn.length, 1, `${what}: one log line`)
    t.equal(torn[0]?.offset, full.length, `${what}: cut at the end of the last whole record`)
  }
})

t.test('single-bit flips are caught by the CRC: no damaged record is ever served', async (t) => {
  const fs = new MemoryFs()
  const full = await writeLog(fs)
  const originals = new Set(records.map(canonical))
  // A record in the middle (damage reported loudly, later records kept) and the last one (a torn tail).
  for (const victim of [3, COUNT - 1]) {
    const start = ends[victim - 1] as number
    const end = ends[victim] as number
    let caught = 0
    for (let bit = start * 8; bit < end * 8; bit++) {
      const bytes = Buffer.from(full)
      bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7))
      fs.files.set(join(DIR, segmentName(1)), bytes)
      const { log, lines } = captureLog()
      const { journal, replayed } = await openJournal(DIR, { log, fs })
      await journal.close()
      const served = replayed.map(canonical)
      if (served.some((r) => !originals.has(r))) t.fail(`bit ${bit}: a damaged record was replayed`)
      const expected = records.filter((_, i) => i !== victim)
      if (!sameRecords(replayed, expected)) t.fail(`bit ${bit}: expected every record but the damaged one`)
      if (victim < COUNT - 1) {
        const loud = lines.find((l) => l.level === 50 && /CORRUPTION/.test(l.msg))
        if (!loud || loud.from !== start || loud.to !== end) t.fail(`bit ${bit}: the lost range ${start}..${end} was not reported`)
      }
      caught++
    }
    t.equal(caught, (end - start) * 8, `every bit of record ${victim} flipped and caught`)
  }
})

t.test('damage in an older segment is reported with its range and the rest is replayed', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const { journal } = await openJournal(dir.path, { segmentBytes: 4096 })
  for (let n = 0; n < 200; n++) {
    journal.append(heldPublishRecord(n, JSON.stringify({ n, pad: 'y'.repeat(40) })))
    if (n % 10 === 9) await journal.commit()
  }
  await journal.commit()
  await journal.close()
  const file = join(dir.path, segmentName(1))
  const bytes = readFileSync(file)
  bytes[FILE_HEADER_BYTES + 20] = (bytes[FILE_HEADER_BYTES + 20] as number) ^ 0xff
  writeFileSync(file, bytes)
  const { log, lines } = captureLog()
  const reopened = await openJournal(dir.path, { log, segmentBytes: 4096 })
  t.teardown(() => reopened.journal.close())
  const loud = lines.filter((l) => l.level === 50)
  t.equal(loud.length, 1, 'one loud line')
  t.equal(loud[0]?.from, FILE_HEADER_BYTES, 'names where the damage starts')
  const first = { ...publishRecord(0, JSON.stringify({ n: 0, pad: 'y'.repeat(40) })), seq: 1 }
  t.equal(loud[0]?.to, FILE_HEADER_BYTES + encodeRecord(first).length, 'and where the next good record starts')
  t.equal(reopened.replayed.length, 199, 'only the damaged record is lost')
  t.notOk(lines.some((l) => /torn tail/.test(l.msg)), 'an older segment is never cut')
})
