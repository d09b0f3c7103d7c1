// The package as people get it: `npm pack` holds only what runs; installed into another project,
// `npx hubq broker` runs and logs readable lines on a terminal (no dev dependencies there), both
// libraries import, and their types check.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/broker.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const APP = `
import { Producer } from 'hubq/producer'
import { Consumer } from 'hubq/consumer'
const url = process.argv[2]
const producer = await Producer.connect({ url })
const mid = await producer.publish('jobs', { n: 21 })
await producer.close()
let consumer
const body = await new Promise((resolve) => {
  Consumer.start({ url, queue: 'jobs', parse: (b) => ({ doubled: b.n * 2 }), handler: (m) => resolve(m.body) }).then((c) => (consumer = c))
})
await consumer.stop()
console.log(JSON.stringify({ mid, body }))
`

const TYPED = `
import { Producer, type Target } from 'hubq/producer'
import { Consumer, HubqError, type Message } from 'hubq/consumer'
interface Job { n: number }
const target: Target = { topic: 'events' }
export async function main(): Promise<void> {
  const producer = await Producer.connect({ url: 'hubq://127.0.0.1:7400' })
  const mid: string = await producer.publish(target, { n: 1 })
  void mid
  const consumer = await Consumer.start<Job>({
    queue: 'jobs',
    handler: (m: Message<Job>) => {
      const n: number = m.body.n
      // @ts-expect-error the body is a Job, not any
      m.body.n.toUpperCase()
      void n
    },
  })
  const parsed = await Consumer.start({ queue: 'jobs', parse: (b): Job => b as Job, handler: (m) => m.body.n.toFixed() })
  consumer.on('error', (err: HubqError) => console.error(err.code))
  await Promise.all([consumer.stop(), parsed.stop()])
}
`

t.test('npm pack, install into a fresh project, run npx hubq and both libraries', async (t) => {
  const work = tempDir('hubq-pack-')
  t.teardown(() => work.remove())
  // dist/ is built already (npm test's pretest); prepack would rebuild it under the tests running alongside.
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work.path], ROOT)
  t.equal(pack.code, 0, pack.stderr)
  const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }]
  const files = info.files.map((f) => f.path)
  const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'PROTOCOL.md', 'LICENSE'].includes(f))
  t.same(outside, [], 'nothing but dist, README, PROTOCOL, LICENSE and package.json')
  for (const f of ['LICENSE', 'README.md', 'PROTOCOL.md', 'dist/broker/bin.js', 'dist/producer/index.d.ts', 'dist/consumer/index.d.ts']) t.ok(files.includes(f), f)
  t.notOk(files.some((f) => f.endsWith('.map') || f.includes('test/')), 'no source maps, no tests')

  const project = join(work.path, 'app')
  await run('mkdir', ['-p', project], work.path)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }))
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work.path, info.filename)], project)
  t.equal(install.code, 0, install.stderr)
  t.notOk(existsSync(join(project, 'node_modules', 'pino-pretty')), 'no dev dependency came along')

  // The broker on a terminal (script gives it one), in its own process group so it can be stopped with script.
  const broker = spawn('script', ['-qec', 'npx hubq broker --port 0 --http-port 0 --data :memory:', '/dev/null'], { cwd: project, detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => broker.once('exit', () => resolve()))
  t.teardown(async () => {
    if (broker.exitCode === null) process.kill(-(broker.pid as number), 'SIGTERM')
    await exited
  })
  let log = ''
  const port = await new Promise<number>((resolve, reject) => {
    broker.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString()
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log)
      if (m) resolve(Number(m[1]))
    })
    void exited.then(() => reject(new Error(`the broker exited: ${log}`)))
  })
  t.match(log, /^\d\d:\d\d:\d\d\.\d{3} .*INFO.* hubq broker listening on 127\.0\.0\.1:\d+/m, 'readable lines on a terminal')
  t.notMatch(log, /"level":30/, 'no JSON on a terminal')
  const url = `hubq://127.0.0.1:${port}`

  const version = await run('npx', ['hubq', '--version'], project)
  t.equal(version.stdout, `hubq ${(JSON.parse(pack.stdout) as [{ version: string }])[0].version}\n`)
  const declared = await run('npx', ['hubq', 'declare', 'jobs', '--max-receives', '3'], project, { HUBQ_URL: url })
  t.same(JSON.parse(declared.stdout), { queue: 'jobs', created: true }, declared.stderr)

  writeFileSync(join(project, 'app.mjs'), APP)
  const app = await run(process.execPath, ['app.mjs', url], project)
  t.equal(app.code, 0, app.stderr)
  t.match(JSON.parse(app.stdout), { mid: String, body: { doubled: 42 } }, 'hubq/producer and hubq/consumer import and work')

  writeFileSync(join(project, 'typed.ts'), TYPED)
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
    files: ['typed.ts'],
  }))
  const tsc = await run(process.execPath, [TSC, '-p', project], project)
  t.equal(tsc.code, 0, `the types check: ${tsc.stdout}${tsc.stderr}`)
})
