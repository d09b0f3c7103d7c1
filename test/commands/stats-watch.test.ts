// `hubq stats --watch`: refreshes until Ctrl-C; off a terminal, one JSON line per refresh.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { startBroker, TestClient } from '../helpers/broker.js'

t.test('stats --watch prints fresh counts each refresh and exits 0 on SIGINT', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  await c.request({ op: 'declare', queue: 'jobs' })
  const child = spawn('node', ['dist/broker/bin.js', 'stats', '--watch', '--interval', '0.1', '--queue', 'jobs', '--url', `hubq://127.0.0.1:${b.port}`], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<{ queues: { ready: number }[] }> => JSON.parse((await lines.next()).value as string)
  t.equal((await next()).queues[0]?.ready, 0, 'first refresh: empty queue')
  await c.request({ op: 'publish', queue: 'jobs', body: 1 })
  let ready = 0
  for (let i = 0; i < 50 && ready === 0; i++) ready = (await next()).queues[0]?.ready ?? 0
  t.equal(ready, 1, 'a later refresh shows the publish')
  child.kill('SIGINT')
  t.equal(await exited, 0, 'Ctrl-C ends the watch cleanly')
})

t.test('stats --interval out of range is a usage error', async (t) => {
  const child = spawn('node', ['dist/broker/bin.js', 'stats', '--watch', '--interval', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.equal(code, 2)
  t.match(stderr, /--interval must be a number of seconds between 0.1 and 3600/)
})
