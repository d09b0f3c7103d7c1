// The SQS face over the query protocol, driven by a client not written in JavaScript: Debian's
// python3-boto3 (botocore 1.29 speaks the query protocol to SQS). `.ci/run` installs it.
import t from 'tap'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { startFaceBroker } from './helpers.js'
import { TestClient } from '../helpers/broker.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('./boto3-client.py', import.meta.url))
const md5 = (s: string): string => createHash('md5').update(s).digest('hex')

function run(endpoint: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, endpoint], { env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

t.test('boto3 (query protocol) creates, sends, receives, deletes, lists and tags', async (t) => {
  const b = await startFaceBroker(t)
  const seen = JSON.parse(await run(b.endpoint)) as Record<string, unknown>
  t.equal(seen.protocol, 'query', `botocore ${String(seen.botocore)} speaks the query protocol`)
  t.equal(seen.url, `${b.endpoint}/000000000000/py`)
  t.same(seen.attrs, { VisibilityTimeout: '40', QueueArn: 'arn:aws:sqs:eu-west-1:000000000000:py' })
  t.match(seen.sent, { MD5OfMessageBody: md5('from <python> & co'), MD5OfMessageAttributes: /^[0-9a-f]{32}$/ })
  t.same(seen.batch, { ok: ['a'], failed: [['b', 'InvalidParameterValue']] })
  const received = seen.received as { Body: string; MD5OfMessageAttributes: string | null; n: unknown; b: number[]; count: string }[]
  t.same(received.map((m) => m.Body), ['from <python> & co', 'one'])
  t.equal(received[0]?.MD5OfMessageAttributes, (seen.sent as { MD5OfMessageAttributes: string }).MD5OfMessageAttributes)
  t.same(received[0]?.n, { StringValue: '3', DataType: 'Number' })
  t.same(received[0]?.b, [0, 1])
  t.equal(received[0]?.count, '1')
  t.equal(seen.deleted, 2)
  t.same(seen.queues, [`${b.endpoint}/000000000000/py`])
  t.same(seen.error, ['AWS.SimpleQueueService.NonExistentQueue', 400])
  t.same(seen.tags, { team: 'py' })
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  const stats = await c.request({ op: 'stats', id: 1, queue: 'py' })
  t.match(stats.queues[0], { published: 2, acked: 2 }, 'the hubq protocol sees what boto3 did')
})

t.test('query protocol errors are ErrorResponse XML', async (t) => {
  const b = await startFaceBroker(t)
  const post = (body: string): Promise<Response> => fetch(b.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  const unknown = await post('Action=Nope&Version=2012-11-05')
  t.equal(unknown.status, 400)
  t.match(await unknown.text(), /<ErrorResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/)
  const missing = await post('Action=SendMessage&Version=2012-11-05&QueueUrl=http://x/000000000000/none&MessageBody=x')
  t.match(await missing.text(), /<Code>AWS\.SimpleQueueService\.NonExistentQueue<\/Code>/)
  const noAction = await post('Version=2012-11-05')
  t.match(await noAction.text(), /<Code>MissingAction<\/Code>/)
  const created = await post('Action=CreateQueue&Version=2012-11-05&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=3')
  t.match(await created.text(), /<CreateQueueResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><CreateQueueResult><QueueUrl>http:\/\/127\.0\.0\.1:\d+\/000000000000\/q<\/QueueUrl><\/CreateQueueResult><ResponseMetadata><RequestId>/)
})
