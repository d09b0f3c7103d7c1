// Frames written piece by piece come out byte for byte as the string encoders make them.
import t from 'tap'
import { encodeFrames, type FrameMode } from '../../shared/protocol/codec.js'
import { FrameWriter } from '../../shared/protocol/frame-writer.js'
import { deliveryJson, writeDelivery, type Delivery } from '../../shared/protocol/types.js'

const MODES: FrameMode[] = ['binary', 'text']

const deliveries: Delivery[] = [
  { mid: 'm1', receipt: 'r1', queue: 'jobs', bodyJson: '"plain"', receives: 1, publishedAt: 1764100000000 },
  { mid: 'm2', receipt: 'r2', queue: 'jobs', bodyJson: '{"n":1,"s":"é ✓ 𝄞 日本"}', attrs: { k: 'v', 'ü': '"' }, receives: 12, publishedAt: 0, group: 'g "1"' },
  { mid: 'm3', receipt: 'r3', queue: 'other.q-1', bodyJson: JSON.stringify('x'.repeat(70_000)), receives: 0, publishedAt: 1764100000000.5 },
  { mid: 'm4', receipt: 'r4', queue: 'jobs', bodyJson: 'null', receives: 3, publishedAt: Number.MAX_SAFE_INTEGER },
]

t.test('deliveries match deliveryJson in both modes, with and without receipt or prefix', async (t) => {
  for (const mode of MODES) {
    for (const withReceipt of [true, false]) {
      for (const prefix of ['{', '{"op":"deliver","sub":"s1",']) {
        const writer = new FrameWriter(mode)
        for (const d of deliveries) {
          writer.begin()
          writeDelivery(writer, d, withReceipt, prefix)
          writer.end()
        }
        const expected = encodeFrames(mode, deliveries.map((d) => deliveryJson(d, withReceipt, prefix)))
        t.ok(writer.take().equals(expected), `${mode}, receipt ${withReceipt}, prefix ${prefix}`)
      }
    }
  }
})

t.test('whole frames, numbers and a writer reused after take() and clear()', async (t) => {
  const jsons = ['{"ok":true}', '{"s":"é ✓ 𝄞"}', JSON.stringify({ big: 'y'.repeat(200_000) }), '{"id":7}']
  for (const mode of MODES) {
    const writer = new FrameWriter(mode)
    writer.frame('{"dropped":true}')
    writer.clear()
    t.equal(writer.length, 0)
    for (let round = 0; round < 3; round++) {
      for (const json of jsons) writer.frame(json)
      writer.begin()
      writer.text('{"n":[')
      for (const n of [0, 9, 10, 123456789012345, Number.MAX_SAFE_INTEGER, -1, 0.25, 1e21]) {
        writer.number(n)
        writer.text(',')
      }
      writer.text('0]}')
      writer.end()
      const numbers = '{"n":[' + [0, 9, 10, 123456789012345, Number.MAX_SAFE_INTEGER, -1, 0.25, 1e21].map(String).join(',') + ',0]}'
      t.ok(writer.take().equals(encodeFrames(mode, [...jsons, numbers])), `${mode}, round ${round}`)
      t.equal(writer.length, 0)
    }
    // A small turn (copied in JS) and one just past that size.
    for (const size of [1, 1000, 1100]) {
      const json = JSON.stringify({ s: 'z'.repeat(size) })
      writer.frame(json)
      t.ok(writer.take().equals(encodeFrames(mode, [json])), `${mode}, a turn of ${size} characters`)
    }
  }
})

t.test('a turn taken whenever the writer is full comes out whole, in pieces of the first buffer size', async (t) => {
  for (const mode of MODES) {
    const writer = new FrameWriter(mode)
    const jsons = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: i, body: 'b'.repeat(i % 300) }))
    const pieces: Buffer[] = []
    t.notOk(writer.full, 'an empty writer is not full')
    for (const json of jsons) {
      writer.frame(json)
      if (writer.full) pieces.push(writer.take())
    }
    pieces.push(writer.take())
    t.ok(pieces.length > 10, `${mode}: the turn went out in ${pieces.length} pieces`)
    t.ok(pieces.every((piece) => piece.length <= 16 * 1024), `${mode}: no piece outgrew the first buffer`)
    t.ok(Buffer.concat(pieces).equals(encodeFrames(mode, jsons)), `${mode}: the pieces are the frames, in order`)
  }
})
