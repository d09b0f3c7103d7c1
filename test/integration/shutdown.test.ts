// Graceful stop of the real command: SIGTERM answers what is in flight and exits 0.
// Runs the compiled broker (dist/), so `npx tsc -p .` (or `npm test`) must have built it.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { tempDir, TestClient, type Frame } from '../helpers/broker.js'

const BIN = fileURLToPath(new URL('../../dist/broker/bin.js', import.meta.url))

t.test('SIGTERM: requests in flight are answered, then exit 0', async (t) => {
  t.ok(existsSync(BIN), `${BIN} exists (build with npx tsc -p .)`)
  const data = tempDir()
  t.teardown(() => data.remove())
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--http-port', '0', '--data', data.path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const logLines: Frame[] = []
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Frame
      logLines.push(entry)
      const match = /^hubq broker listening on (.+):(\d+)$/.exec(String(entry.msg))
      if (match) resolve(Number(match[2]))
    })
    child.once('exit', (code) => reject(new Error(`broker exited early with ${code}`)))
  })

  const c = await TestClient.connect(port, 'text')
  t.same(await c.request({ op: 'declare', id: 1, queue: 'jobs' }), { id: 1, ok: true, queue: 'jobs', created: true })
  // One write: a publish and a long poll behind it. The publish's reply proves both were read.
  c.socket.write('{"op":"publish","id":2,"queue":"jobs","body":"x"}\n{"op":"receive","id":3,"queue":"empty","wait":20}\n')
  t.match(await c.reply(), { id: 2, ok: true })
  child.kill('SIGTERM')
  t.same(await c.reply(), { id: 3, ok: true, messages: [] }, 'the long poll in flight is answered at once')
  await c.closed
  t.pass('the broker closed the connection')
  t.equal(await exited, 0, 'exit code 0')
  t.ok(logLines.some((l) => l.msg === 'stopped'), 'logged the stop')
  t.ok(logLines.every((l) => l.level < 50), 'no error lines')
})
