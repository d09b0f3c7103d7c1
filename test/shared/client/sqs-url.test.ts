// `--url sqs://…` in the libraries and the commands: no broker at all, the same queues on SQS/SNS.
import t from 'tap'
import { execFile } from 'node:child_process'
import { Producer } from '../../../producer/index.js'
import { Consumer } from '../../../consumer/index.js'
import { startFauxqs, uniquePrefix, REGION } from '../../helpers/fauxqs.js'

const HUBQ = 'node dist/broker/bin.js'
const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }

function sh(command: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

t.test('Producer and Consumer on an sqs:// URL', async (t) => {
  const fauxqs = await startFauxqs()
  t.teardown(() => fauxqs.stop())
  for (const [key, value] of Object.entries(credentials)) process.env[key] = value
  const url = `sqs://?region=${REGION}&endpoint=${encodeURIComponent(fauxqs.endpoint)}&prefix=${uniquePrefix('lib')}`
  const producer = await Producer.connect({ url })
  const mids = [await producer.publish('jobs', { n: 1 }, { attrs: { kind: 'a' } }), await producer.publish('jobs', 'two')]
  await producer.close()
  const seen: unknown[] = []
  let done!: () => void
  const all = new Promise<void>((resolve) => (done = resolve))
  const consumer = await Consumer.start({
    url, queue: 'jobs', prefetch: 4,
    handler: async (msg) => {
      seen.push({ mid: msg.mid, body: msg.body, attrs: msg.attrs })
      if (seen.length === 2) done()
    },
  })
  await all
  await consumer.stop()
  t.same(new Set(seen.map((s) => (s as { mid: string }).mid)), new Set(mids), 'both confirmed messages delivered')
  t.same(seen.find((s) => (s as { mid: string }).mid === mids[0]), { mid: mids[0], body: { n: 1 }, attrs: { kind: 'a' } })
})

t.test('hubq produce | hubq consume --url sqs://…', async (t) => {
  const fauxqs = await startFauxqs()
  t.teardown(() => fauxqs.stop())
  const url = `sqs://?region=${REGION}&endpoint=${encodeURIComponent(fauxqs.endpoint)}&prefix=${uniquePrefix('cli')}`
  const run = await sh(`printf 'one\\n{"n":2}\\n' | ${HUBQ} produce --queue jobs --url '${url}' && ${HUBQ} consume --queue jobs --count 2 --url '${url}'`, credentials)
  t.equal(run.code, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  t.equal(lines.length, 4, 'two mids, then two deliveries')
  const bodies = lines.slice(2).map((l) => (JSON.parse(l) as { body: unknown }).body)
  t.same(new Set(bodies.map((b) => JSON.stringify(b))), new Set(['"one"', '{"n":2}']))
  const bad = await sh(`${HUBQ} produce --queue jobs --body x --url 'sqs://?endpoint=http://127.0.0.1:1'`, credentials)
  t.not(bad.code, 0)
  t.match(bad.stderr, /region/)
})

t.test('the admin commands with --url sqs://…: the same commands, peek refused with the reason', async (t) => {
  const fauxqs = await startFauxqs()
  t.teardown(() => fauxqs.stop())
  const url = `sqs://?region=${REGION}&endpoint=${encodeURIComponent(fauxqs.endpoint)}&prefix=${uniquePrefix('adm')}`
  // The SDK's notice that its 2027 releases need Node 22 would otherwise lead stderr on Node 20 (README "Node versions").
  const env = { ...credentials, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
  const hubq = (args: string): ReturnType<typeof sh> => sh(`${HUBQ} ${args} --url '${url}'`, env)
  const json = async (args: string): Promise<unknown> => {
    const run = await hubq(args)
    t.equal(run.code, 0, `${args}: ${run.stderr}`)
    return JSON.parse(run.stdout)
  }
  t.same(await json('declare work --max-receives 2 --dead-letter work-dead --visibility-timeout 30'), { queue: 'work', created: true })
  t.same(await json('topic orders'), { topic: 'orders', created: true })
  t.same(await json('bind orders work --filter region=eu'), { topic: 'orders', queue: 'work', filter: { region: ['eu'] } })
  t.equal((await hubq('produce --topic orders --body one --attr region=eu')).code, 0)
  t.equal((await hubq('produce --queue work --body two')).code, 0)
  const stats = await json('stats') as { topics: unknown[] }
  t.match(stats.topics, [{ topic: 'orders', bindings: [{ queue: 'work', filter: { region: ['eu'] } }] }])
  const peek = await hubq('peek work')
  t.equal(peek.code, 1)
  t.match(peek.stderr, /^hubq peek: peek is not available on the SQS backend.* \(bad_request\)\n$/)
  t.same(await json('unbind orders work'), { topic: 'orders', queue: 'work' })
  t.match(await json('purge work'), { queue: 'work', purged: Number })
  t.same(await json('redrive work-dead'), { queue: 'work-dead', moved: 0 })
  t.same(await json('drop work --yes'), { queue: 'work', dropped: true })
  const gone = await hubq('purge work')
  t.equal(gone.code, 1)
  t.match(gone.stderr, /\(not_found\)\n$/)
})
