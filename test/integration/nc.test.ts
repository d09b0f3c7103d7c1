// The broker driven by the real `nc` binary (netcat-openbsd): typed lines in, reply lines out
// (PROTOCOL.md §1 text mode).
import t from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { startBroker, tempDir, TestClient, type Frame } from '../helpers/broker.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { LogJournal } from '../../broker/store/log/journal.js'

const NC = '/usr/bin/nc'

class NcSession {
  private readonly lines: string[] = []
  private readonly waiters: ((line: string) => void)[] = []
  readonly exited: Promise<number | null>

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const waiter = this.waiters.shift()
      if (waiter) waiter(line)
      else this.lines.push(line)
    })
    // 'close', not 'exit': by then nc's output has been read to its end.
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)))
  }

  type(line: string): void {
    this.child.stdin.write(line + '\n')
  }

  /** The lines read and not yet taken by next(). */
  rest(): string[] {
    return this.lines.splice(0)
  }

  next(): Promise<Frame> {
    const ready = this.lines.shift()
    if (ready !== undefined) return Promise.resolve(JSON.parse(ready))
    return new Promise((resolve) => this.waiters.push((line) => resolve(JSON.parse(line))))
  }
}

t.test('a conversation through nc', { skip: existsSync(NC) ? false : `${NC} is not installed` }, async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const nc = new NcSession(spawn(NC, ['-N', '127.0.0.1', String(b.port)]))
  t.teardown(() => nc.child.kill())

  nc.type('{"op":"hello","id":1,"name":"nc"}')
  t.match(await nc.next(), { id: 1, ok: true, server: 'hubq', protocol: 1 })
  nc.type('')
  nc.type('{"op":"publish","id":2,"queue":"jobs","body":{"task":"resize","size":3}}')
  const { mid } = await nc.next()
  t.type(mid, 'string')
  nc.type('{"op":"receive","id":3,"queue":"jobs"}')
  const got = await nc.next()
  t.match(got, { id: 3, ok: true, messages: [{ mid, queue: 'jobs', body: { task: 'resize', size: 3 }, receives: 1 }] })
  nc.type(`{"op":"ack","id":4,"receipt":${JSON.stringify(got.messages[0].receipt)}}`)
  t.same(await nc.next(), { id: 4, ok: true, acked: 1 })
  nc.type('this is not json')
  t.match(await nc.next(), { ok: false, error: { code: 'bad_json' } })
  nc.type('{"op":"ping","id":5}\r')
  t.same(await nc.next(), { id: 5, ok: true }, 'CRLF works too')
  // Pipelined lines in one write: the replies come back in order.
  nc.child.stdin.write('{"op":"ping","id":"a"}\n{"op":"nope","id":"b"}\n{"op":"stats","id":"c","queue":"jobs"}\n')
  t.same(await nc.next(), { id: 'a', ok: true })
  t.match(await nc.next(), { id: 'b', ok: false, error: { code: 'unknown_op' } })
  t.match(await nc.next(), { id: 'c', ok: true, queues: [{ queue: 'jobs', ready: 0, inflight: 0, published: 1, acked: 1 }] })
  nc.child.stdin.end()
  t.equal(await nc.exited, 0, 'with -N, nc hangs up when its input ends, and so does the broker')
})

t.test('nc: a line over max-frame gets frame_too_large and the broker hangs up', { skip: existsSync(NC) ? false : `${NC} is not installed` }, async (t) => {
  const b = await startBroker({ limits: { maxFrame: 100 } })
  t.teardown(() => b.stop())
  // Without -N, nc keeps the connection up after its input ends and exits only when the
  // broker hangs up: its exit is the proof.
  const nc = new NcSession(spawn(NC, ['127.0.0.1', String(b.port)]))
  t.teardown(() => nc.child.kill())
  nc.type(JSON.stringify({ op: 'publish', queue: 'q', body: 'x'.repeat(200) }))
  nc.child.stdin.end()
  t.match(await nc.next(), { ok: false, error: { code: 'frame_too_large' } })
  t.equal(await nc.exited, 0, 'nc exits: the broker closed the connection')
})

// `printf ... | nc -N` (and `nc -q0`): nc sends its input, ends its side, and reads until the
// broker closes. Every request read before that end is answered, in order, even the ones whose
// reply waits on the log's fsync or on a long poll running out; then the broker closes (§2).
for (const flag of ['-N', '-q0']) {
  t.test(`nc ${flag}: every request piped in is answered before the broker closes`, { skip: existsSync(NC) ? false : `${NC} is not installed` }, async (t) => {
    const dir = tempDir()
    t.teardown(() => dir.remove())
    const b = await startBroker({ store: new LocalStore({ journal: new LogJournal({ dir: dir.path }) }) })
    t.teardown(() => b.stop())
    const nc = new NcSession(spawn(NC, [flag, '127.0.0.1', String(b.port)]))
    t.teardown(() => nc.child.kill())
    const lines = [
      { op: 'ping', id: 1 },
      { op: 'publish', id: 2, queue: 'x', body: 1 },
      { op: 'declare', id: 3, queue: 'jobs', visibilityTimeout: 5 },
      { op: 'publish', id: 4, queue: 'jobs', messages: [{ body: 'a' }, { body: 'b' }] },
      { op: 'receive', id: 5, queue: 'empty', wait: 1 },
      { op: 'publish', id: 6, queue: 'x', body: 2 },
      { op: 'stats', id: 7, queue: 'jobs' },
    ]
    nc.child.stdin.end(lines.map((line) => JSON.stringify(line) + '\n').join(''))
    t.equal(await nc.exited, 0, 'nc exits: the broker closed once everything was answered')
    const replies = nc.rest().map((line) => JSON.parse(line) as Frame)
    t.same(replies.map((r) => r.id), [1, 2, 3, 4, 5, 6, 7], 'one reply per request, in order')
    t.ok(replies.every((r) => r.ok === true), 'all of them successes')
    t.type(replies[1]?.mid, 'string')
    t.match(replies[2], { queue: 'jobs', created: true })
    t.equal(replies[3]?.mids.length, 2)
    t.same(replies[4]?.messages, [], 'the long poll ran out and still answered')
    t.match(replies[6], { queues: [{ queue: 'jobs', ready: 2 }] })
    const check = await TestClient.connect(b.port)
    t.teardown(() => check.close())
    t.match(await check.request({ op: 'stats', id: 'after', queue: 'x' }), { queues: [{ queue: 'x', ready: 2, published: 2 }] })
  })
}
