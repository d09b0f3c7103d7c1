// The examples and the demo run as a user would run them (from dist/, as separate processes).
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { startBroker, TestClient } from '../helpers/broker.js'

t.test('the producer example publishes, the worker example handles them and stops on SIGTERM', async (t) => {
  const b = await startBroker()
  t.teardown(() => b.stop())
  const env = { ...process.env, HUBQ_URL: `hubq://127.0.0.1:${b.port}` }
  const produced = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['dist/producer/examples/produce.js'], { env, timeout: 15_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  )
  t.match(produced, /^(published job \d as [0-9a-f-]+\n){5}$/)

  const worker = spawn(process.execPath, ['dist/consumer/examples/worker.js'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve))
  const lines: string[] = []
  await new Promise<void>((resolve) => {
    createInterface({ input: worker.stdout }).on('line', (line) => {
      lines.push(line)
      if (lines.length === 5) {
        worker.kill('SIGTERM')
        resolve()
      }
    })
  })
  t.equal(await exited, 0)
  t.same(lines, [...[1, 2, 3, 4, 5].map((n) => `job ${n} done (delivery 1)`), 'stopped'])
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.match((await c.request({ op: 'stats', queue: 'jobs' })).queues[0], { ready: 0, inflight: 0, acked: 5 })
})

t.test('npm run demo: a killed worker\'s message is redelivered to the other, all acked, clean exit', async (t) => {
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['dist/consumer/demo.js'], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  )
  t.match(output, /\[producer\] +published #12 as/)
  t.match(output, /\[demo\] +killing worker-a \(SIGKILL\) in the middle of that message/)
  const beforeKill = output.slice(0, output.indexOf('[demo]      killing'))
  const killedOn = [...beforeKill.matchAll(/\[worker-a\] +got #(\d+)/g)].pop()?.[1]
  t.ok(killedOn, 'worker-a was killed while it held a message')
  t.match(output, new RegExp(`\\[worker-b\\] +got #${killedOn} \\(redelivery, delivery 2\\)`), 'worker-b got the same message again')
  for (let n = 1; n <= 12; n++) t.match(output, new RegExp(`\\[worker-[ab]\\] +acked #${n}\\n`), `#${n} acked`)
  t.match(output, /\[worker-b\] +stopped\n/)
  t.match(output, /\[broker\] +stopped\n/)
})
