// The frame codec on its own: no sockets (PROTOCOL.md §1 "Framing").
import t from 'tap'
import { FrameDecoder, encodeFrame, encodeFrames, MAX_FRAME_CEILING, type DecodeEvent, type FrameMode } from '../../shared/protocol/codec.js'
import { random } from '../helpers/random.js'

const MODES: FrameMode[] = ['binary', 'text']
const MiB = 1024 * 1024

const fixtures: Record<string, unknown>[] = [
  { op: 'ping' },
  { op: 'ping', id: 1 },
  { op: 'publish', id: 'a-string-id', queue: 'jobs', body: { n: 1, nested: [1, 2, { deep: null }] } },
  { op: 'publish', queue: 'q', body: 'unicode: é ✓ 𝄞 日本', attrs: { k: 'v' } },
  { op: 'publish', queue: 'q', body: 'escapes \n \r \t " \\ \u0000' },
  { op: 'publish', queue: 'q', body: 'x'.repeat(70_000) },
  { id: 7, ok: false, error: { code: 'bad_json', message: 'frame is not valid JSON' } },
]

function frames(events: DecodeEvent[]): unknown[] {
  return events.map((e) => (e.kind === 'frame' ? JSON.parse(e.text) : e))
}

function stream(mode: FrameMode, list: unknown[]): Buffer {
  return Buffer.concat(list.map((f) => encodeFrame(mode, JSON.stringify(f))))
}

t.test('every fixture round-trips in both modes', async (t) => {
  for (const mode of MODES) {
    for (const fixture of fixtures) {
      const decoder = new FrameDecoder(MiB)
      t.same(frames(decoder.push(encodeFrame(mode, JSON.stringify(fixture)))), [fixture], `${mode}: ${JSON.stringify(fixture).slice(0, 40)}`)
      t.equal(decoder.mode, mode)
      t.equal(decoder.buffered, 0)
    }
  }
})

t.test('binary frames are a 4-byte big-endian length and the UTF-8 JSON', async (t) => {
  const json = '{"op":"ping","s":"é"}'
  const frame = encodeFrame('binary', json)
  t.equal(frame.readUInt32BE(0), Buffer.byteLength(json))
  t.equal(frame.subarray(4).toString('utf8'), json)
  t.equal(encodeFrame('text', json).toString('utf8'), json + '\n')
})

t.test('every frame split at every byte boundary decodes the same', async (t) => {
  const small = fixtures.filter((f) => JSON.stringify(f).length < 1000)
  for (const mode of MODES) {
    const bytes = stream(mode, small)
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new FrameDecoder(MiB)
      const got = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))]
      if (JSON.stringify(frames(got)) !== JSON.stringify(small)) {
        t.fail(`${mode}: split at ${cut} decoded differently`)
        return
      }
    }
    // One byte at a time, too.
    const decoder = new FrameDecoder(MiB)
    const got: DecodeEvent[] = []
    for (let i = 0; i < bytes.length; i++) got.push(...decoder.push(bytes.subarray(i, i + 1)))
    t.same(frames(got), small, `${mode}: byte by byte`)
  }
})

t.test('10,000 frames in one chunk', async (t) => {
  for (const mode of MODES) {
    const list = Array.from({ length: 10_000 }, (_, i) => ({ op: 'publish', id: i, queue: 'q', body: i }))
    const events = new FrameDecoder(MiB).push(stream(mode, list))
    t.equal(events.length, 10_000, mode)
    t.same(frames(events), list, `${mode}: every frame, in order`)
  }
})

t.test('the declared length is checked before any bytes are waited for', async (t) => {
  const decoder = new FrameDecoder(MiB)
  const header = Buffer.alloc(4)
  header.writeUInt32BE(MAX_FRAME_CEILING, 0)
  t.same(decoder.push(header), [{ kind: 'too_large', size: MAX_FRAME_CEILING, maxFrame: MiB }], 'too_large from the header alone')
  t.equal(decoder.buffered, 0, 'nothing kept')
  t.same(decoder.push(Buffer.from('{"op":"ping"}\n')), [], 'nothing more after the stream failed')
})

t.test('a frame of exactly max-frame passes, one byte more does not', async (t) => {
  const max = 64
  for (const mode of MODES) {
    const fits = JSON.stringify({ s: 'x'.repeat(max - 8) })
    t.equal(Buffer.byteLength(fits), max)
    t.same(frames(new FrameDecoder(max).push(encodeFrame(mode, fits))), [JSON.parse(fits)], `${mode}: exactly max-frame`)
    const over = JSON.stringify({ s: 'x'.repeat(max - 7) })
    const events = new FrameDecoder(max).push(encodeFrame(mode, over))
    t.equal(events.length, 1)
    t.equal(events[0]?.kind, 'too_large', `${mode}: max-frame + 1`)
  }
})

t.test('text mode: CRLF, blank lines, long lines', async (t) => {
  const decoder = new FrameDecoder(MiB)
  const input = '\r\n\n{"op":"ping","id":1}\r\n   \n\t\r\n{"op":"ping","id":2}\n'
  t.same(frames(decoder.push(Buffer.from(input))), [{ op: 'ping', id: 1 }, { op: 'ping', id: 2 }])
  t.equal(decoder.mode, 'text')

  // A line of exactly max-frame bytes whose CR arrives before its LF is still fine.
  const max = 64
  const line = JSON.stringify({ s: 'y'.repeat(max - 8) })
  const crlf = new FrameDecoder(max)
  t.same(crlf.push(Buffer.from(line + '\r')), [])
  t.same(frames(crlf.push(Buffer.from('\n'))), [JSON.parse(line)])

  // A line without its newline that already exceeds max-frame fails without waiting for the end.
  const long = new FrameDecoder(max)
  t.same(long.push(Buffer.from('{"s":"' + 'z'.repeat(100))), [{ kind: 'too_large', size: 106, maxFrame: max }])
  t.same(long.push(Buffer.from('"}\n{"op":"ping"}\n')), [], 'the stream is not trusted afterwards')
})

t.test('binary mode: a zero-length frame is reported, and decoding goes on', async (t) => {
  const decoder = new FrameDecoder(MiB)
  const bytes = Buffer.concat([Buffer.alloc(4), encodeFrame('binary', '{"op":"ping"}')])
  t.same(frames(decoder.push(bytes)), [{ kind: 'empty' }, { op: 'ping' }])
})

t.test('the first byte picks the mode', async (t) => {
  const binary = new FrameDecoder(MiB)
  binary.push(Buffer.from([0]))
  t.equal(binary.mode, 'binary')
  const text = new FrameDecoder(MiB)
  text.push(Buffer.from(' '))
  t.equal(text.mode, 'text')
  const none = new FrameDecoder(MiB)
  none.push(Buffer.alloc(0))
  t.equal(none.mode, undefined, 'an empty chunk decides nothing')
})

t.test('max-frame is validated', async (t) => {
  t.throws(() => new FrameDecoder(0), RangeError)
  t.throws(() => new FrameDecoder(MAX_FRAME_CEILING + 1), RangeError)
  t.doesNotThrow(() => new FrameDecoder(MAX_FRAME_CEILING))
})


t.test('random bytes: frames or errors, never a throw, never unbounded buffering', async (t) => {
  const max = 4096
  let events = 0
  for (let seed = 1; seed <= 300; seed++) {
    const next = random(seed)
    const decoder = new FrameDecoder(max)
    // Half the streams start with 0x00 (binary), the rest are text.
    const first = seed % 2 === 0 ? 0 : 0x7b
    try {
      for (let chunk = 0; chunk < 20; chunk++) {
        const size = Math.floor(next() * 600)
        const bytes = Buffer.alloc(size)
        for (let i = 0; i < size; i++) bytes[i] = Math.floor(next() * 256)
        if (chunk === 0 && size > 0) bytes[0] = first
        for (const event of decoder.push(bytes)) {
          events++
          if (event.kind === 'frame' && typeof event.text !== 'string') t.fail('frame without text')
        }
        if (decoder.buffered > max + 4) t.fail(`seed ${seed}: ${decoder.buffered} bytes buffered`)
      }
    } catch (err) {
      t.fail(`seed ${seed}: decoder threw ${String(err)}`)
    }
  }
  t.ok(events > 0, `random input produced ${events} events`)
})

t.test('a frame trickling in one byte at a time costs linear work, not a copy per byte', async (t) => {
  // 200 KB byte by byte: copying the held bytes on every push would move ~20 GB.
  const size = 200_000
  for (const mode of MODES) {
    const json = JSON.stringify({ s: 'x'.repeat(size) })
    const bytes = encodeFrame(mode, json)
    const decoder = new FrameDecoder(MiB)
    const started = performance.now()
    const events: DecodeEvent[] = []
    for (let i = 0; i < bytes.length; i++) events.push(...decoder.push(bytes.subarray(i, i + 1)))
    const ms = performance.now() - started
    t.equal(events.length, 1, `${mode}: one frame`)
    t.equal(events[0]?.kind === 'frame' ? events[0].text.length : 0, json.length)
    t.ok(ms < 5000, `${mode}: ${bytes.length} one-byte pushes took ${ms.toFixed(0)} ms`)
  }
})

t.test('a turn of frames encodes as the frames one after another, whatever their size', async (t) => {
  const reference = (mode: FrameMode, jsons: string[]): Buffer => Buffer.concat(jsons.map((json) => {
    const bytes = Buffer.from(json, 'utf8')
    if (mode === 'text') return Buffer.concat([bytes, Buffer.from('\n')])
    const head = Buffer.alloc(4)
    head.writeUInt32BE(bytes.length)
    return Buffer.concat([head, bytes])
  }))
  const big = '{"s":"' + 'é𝄞x'.repeat(150_000) + '"}'
  const turns: string[][] = [
    ['{"ok":true}'],
    ['{"ok":true,"mid":"a"}', '{"s":"é ✓ 𝄞 日本"}', '{"s":"\ud800 lone"}', ''],
    Array.from({ length: 5000 }, (_, i) => `{"ok":true,"n":${i},"s":"${'é'.repeat(i % 50)}"}`),
    [big, '{"ok":true}', big],
  ]
  for (const mode of MODES) {
    for (const jsons of turns) {
      // Twice: the second turn reuses whatever the first one left behind.
      for (let i = 0; i < 2; i++) t.ok(encodeFrames(mode, jsons).equals(reference(mode, jsons)), `${mode}: ${jsons.length} frames`)
    }
  }
  const first = encodeFrames('binary', ['{"a":1}'])
  encodeFrames('binary', ['{"b":2}'])
  t.equal(first.toString('utf8', 4), '{"a":1}', 'an encoded turn is not overwritten by the next one')
})
