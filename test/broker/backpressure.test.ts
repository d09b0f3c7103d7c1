// A client that does not read its replies, or piles requests up behind a long poll, makes the
// session stop reading instead of buffering without end (broker/session.ts throttle).
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { Duplex } from 'node:stream'
import { Broker } from '../../broker/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import { ManualClock } from '../../shared/clock.js'

/** The client's end of a connection whose reader is stuck until `unstick()`. */
class StuckPeer extends Duplex {
  replies = 0
  private stuck = true
  private readonly waiting: (() => void)[] = []
  private wanted = Infinity
  private onWanted: (() => void) | undefined

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const byte of chunk) if (byte === 0x0a) this.replies++
    if (this.replies >= this.wanted) this.onWanted?.()
    if (this.stuck) this.waiting.push(done)
    else done()
  }

  unstick(): void {
    this.stuck = false
    for (const done of this.waiting.splice(0)) done()
  }

  repliesReach(count: number): Promise<void> {
    if (this.replies >= count) return Promise.resolve()
    this.wanted = count
    return new Promise((resolve) => (this.onWanted = resolve))
  }
}

async function broker(t: Test): Promise<Broker> {
  const b = new Broker({ store: new LocalStore({ journal: new MemoryJournal(), clock: new ManualClock() }) })
  await b.store.open()
  t.teardown(() => b.store.close())
  return b
}

/** Delivers chunks the way a socket does, one per event-loop turn, until the session pauses. */
async function feed(peer: StuckPeer, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    peer.push(chunk)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const pings = (from: number, count: number): Buffer =>
  Buffer.from(Array.from({ length: count }, (_, i) => `{"op":"ping","id":${from + i}}\n`).join(''))

t.test('replies nobody reads: reading stops, and resumes once they drain', async (t) => {
  const b = await broker(t)
  const peer = new StuckPeer()
  b.handle(peer)
  const total = 200_000
  const paused = once(peer, 'pause')
  const chunks: Buffer[] = []
  for (let i = 0; i < total; i += 2000) chunks.push(pings(i, 2000))
  const fed = feed(peer, chunks)
  await paused
  await fed
  t.ok(peer.readableLength > 0, `the session stopped reading with ${peer.readableLength} request bytes left unread`)
  t.ok(peer.replies < total, `only ${peer.replies} of ${total} replies were produced meanwhile`)
  peer.unstick()
  await peer.repliesReach(total)
  t.equal(peer.replies, total, 'every request answered once the client reads again')
  peer.destroy()
})

t.test('requests piled up behind a long poll: reading stops until they can run', async (t) => {
  const b = await broker(t)
  const peer = new StuckPeer()
  peer.unstick()
  b.handle(peer)
  peer.push('{"op":"receive","id":"poll","queue":"q","wait":20}\n')
  const paused = once(peer, 'pause')
  const chunks: Buffer[] = []
  for (let i = 0; i < 20_000; i += 1000) chunks.push(pings(i, 1000))
  const fed = feed(peer, chunks)
  await paused
  await fed
  t.equal(peer.replies, 0, 'nothing answered yet: everything waits behind the long poll')
  t.ok(peer.readableLength > 0, `${peer.readableLength} request bytes left unread`)
  // Another connection's publish ends the poll; the held requests run and reading resumes.
  const producer = new StuckPeer()
  producer.unstick()
  b.handle(producer)
  producer.push('{"op":"publish","queue":"q","body":1}\n')
  await peer.repliesReach(20_001)
  t.equal(peer.replies, 20_001, 'the poll and every ping answered')
  peer.destroy()
  producer.destroy()
})
