// The SNS face driven by a client not written in JavaScript: Debian's python3-boto3 (the query
// protocol, as SNS has no other). `.ci/run` installs it.
import t from 'tap'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startFaceBroker } from './helpers.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('./boto3-sns.py', import.meta.url))

function run(endpoint: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, endpoint], { env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

t.test('boto3 creates a topic, subscribes a queue with a filter, publishes, and reads the envelopes through SQS', async (t) => {
  const b = await startFaceBroker(t)
  const seen = JSON.parse(await run(b.endpoint)) as Record<string, unknown>
  const topic = 'arn:aws:sns:eu-west-1:000000000000:py-topic'
  t.equal(seen.protocol, 'query')
  t.equal(seen.topic, topic)
  t.match(seen.subscription, new RegExp(`^${topic}:[0-9a-f-]{36}$`))
  t.match(seen.subscription_attrs, { Protocol: 'sqs', Endpoint: 'arn:aws:sqs:eu-west-1:000000000000:py-sub', RawMessageDelivery: 'false', FilterPolicyScope: 'MessageAttributes' })
  t.match(seen.topic_attrs, { DisplayName: 'Py', SubscriptionsConfirmed: '1', TopicArn: topic })
  t.same(seen.batch, { ok: ['a'], failed: [['b', 'InvalidParameter']] })
  const received = seen.received as Record<string, unknown>[]
  t.same(received.map((e) => e.Message), ['big <&>', 'batched'], 'the filter let n >= 2 through')
  t.match(received[0], { Type: 'Notification', MessageId: seen.sent, TopicArn: topic, Subject: 'hi', MessageAttributes: { n: { Type: 'Number', Value: '3' } } })
  t.same(seen.topics, [topic])
  t.same(seen.subscriptions, [seen.subscription])
  t.same(seen.tags, [{ Key: 'team', Value: 'py' }])
  t.same(seen.error, ['NotFound', 404])
  t.same(seen.after, [])
})
