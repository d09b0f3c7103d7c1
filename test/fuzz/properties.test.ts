// Property-based checks (fast-check) of the frame codec and the request validator, run on every
// `npm test` with bounded runs: any chunking of any frames decodes to the same frames; random
// bytes never throw; random JSON through parseEnvelope, the auth check and every handler never
// throws anything but a HubqError, and never `internal`.
import t from 'tap'
import fc from 'fast-check'
import { FrameDecoder, encodeFrames, type FrameMode } from '../../shared/protocol/codec.js'
import { DEFAULT_LIMITS, parseEnvelope } from '../../shared/protocol/requests.js'
import { HubqError } from '../../shared/errors.js'
import { routes } from '../../broker/handlers/index.js'
import type { SessionContext } from '../../broker/handlers/types.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import { authorize } from '../../broker/auth/permissions.js'
import { Principal } from '../../broker/auth/principal.js'
import { silentLogger } from '../../shared/logger.js'

const RUNS = 300

/** Splits a buffer at the given cut points (any chunking). */
function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let last = 0
  for (const p of points) {
    out.push(buf.subarray(last, p))
    last = p
  }
  out.push(buf.subarray(last))
  return out
}

const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })

t.test('any chunking of any sequence of frames decodes to the same frames (both modes)', async (t) => {
  fc.assert(fc.property(
    fc.constantFrom<FrameMode>('binary', 'text'),
    fc.array(jsonObject, { minLength: 1, maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 20 }),
    (mode, objects, cuts) => {
      const texts = objects.map((o) => JSON.stringify(o))
      const decoder = new FrameDecoder(DEFAULT_LIMITS.maxFrame)
      const got: string[] = []
      for (const chunk of chunked(encodeFrames(mode, texts), cuts)) {
        for (const event of decoder.push(chunk)) if (event.kind === 'frame') got.push(event.text)
      }
      // A text frame made of blanks only would be skipped; JSON.stringify never produces one.
      return JSON.stringify(got) === JSON.stringify(texts) && decoder.buffered === 0
    },
  ), { numRuns: RUNS })
  t.pass('no counterexample')
})

t.test('random bytes, in any chunks, never throw and never hold more than max-frame', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 1, max: 512 }), (bytes, cuts, maxFrame) => {
    const decoder = new FrameDecoder(maxFrame)
    for (const chunk of chunked(Buffer.from(bytes), cuts)) {
      decoder.push(chunk)
      if (decoder.buffered > maxFrame + 4) return false
    }
    return true
  }), { numRuns: RUNS })
  t.pass('no counterexample')
})

/** A handler's view of a session, over a real store; pushes and auth are no-ops. */
function fakeSession(store: LocalStore): SessionContext {
  return {
    store, limits: { ...DEFAULT_LIMITS, maxBatch: 10, maxMessage: 1000 }, log: silentLogger, owner: { id: 1 },
    info: { version: 'test', startedAt: 0, now: () => 0, connections: () => 1 },
    signal: new AbortController().signal, clientName: undefined, subscriptions: new Map(),
    authenticate: () => {}, push: () => {},
    subscribed(sub) {
      this.subscriptions.set(sub.id, sub)
    },
  }
}

const OPS = Object.keys(routes)
const FIELD_NAMES = ['op', 'id', 'queue', 'topic', 'body', 'attrs', 'delay', 'group', 'dedupId', 'messages', 'max', 'wait',
  'visibilityTimeout', 'maxReceives', 'deadLetter', 'retention', 'fifo', 'prefetch', 'sub', 'receipt', 'receipts',
  'timeout', 'filter', 'state', 'name', 'token', '__proto__', 'constructor']
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('jobs', 'q.dead', '', 'x'.repeat(81), '__proto__', 'ready', 'inflight', 0, -1, 1e9, 0.5, 20, 21, null, true),
)
const request = fc.record({
  op: fc.constantFrom(...OPS, 'nope', 'toString', '__proto__'),
  fields: fc.dictionary(fc.constantFrom(...FIELD_NAMES), fieldValue, { maxKeys: 6 }),
})

t.test('random requests through parseEnvelope, authorize and every handler: HubqError only, never internal', async (t) => {
  const store = new LocalStore({ journal: new MemoryJournal(), maxQueues: 50 })
  await store.open()
  t.teardown(() => store.close())
  const session = fakeSession(store)
  const principal = new Principal({ name: 'p', allow: { publish: ['j*'], consume: ['*'], admin: ['q.*'] }, deny: { consume: ['jobs'] } })
  await fc.assert(fc.asyncProperty(request, async ({ op, fields }) => {
    const text = JSON.stringify({ ...fields, op })
    const envelope = parseEnvelope(text, session.limits)
    if (!envelope.ok) return envelope.error instanceof HubqError && envelope.error.code !== 'internal'
    const route = Object.prototype.hasOwnProperty.call(routes, envelope.op) ? routes[envelope.op] : undefined
    const denied = authorize(principal, envelope.op, route?.rule, envelope.obj, store)
    if (denied && denied.code !== 'forbidden') return false
    const handler = route?.handler
    if (!handler) return true
    try {
      await handler(envelope.obj, session)
      return true
    } catch (err) {
      if (!(err instanceof HubqError) || err.code === 'internal') throw err
      return true
    }
  }), { numRuns: RUNS * 3 })
  t.pass('no counterexample')
})

t.test('random text (not only JSON) through parseEnvelope never throws', async (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
    const envelope = parseEnvelope(text)
    return envelope.ok || (envelope.error instanceof HubqError && envelope.error.code !== 'internal')
  }), { numRuns: RUNS })
  t.pass('no counterexample')
})
