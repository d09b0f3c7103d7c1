// The broker driven by the real `nc` binary (netcat-openbsd): typed lines in, reply lines out
// (PROTOCOL.md §1 text mode).
import t from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { startBroker, type Frame } from '../helpers/broker.js'

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
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  }

  type(line: string): void {
    this.child.stdin.write(line + '\n')
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
