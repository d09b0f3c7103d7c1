// The Producer and Consumer libraries, unchanged, on the SQS client backend against fauxqs: the
// path `--url sqs://…` takes once openBackend hands sqs:// URLs to SqsClientBackend.open.
import t from 'tap'
import { Producer } from '../../../producer/index.js'
import { Consumer } from '../../../consumer/index.js'
import { SqsClientBackend } from '../../../shared/client/sqs-backend.js'
import { REGION, startFauxqs, uniquePrefix } from '../../helpers/fauxqs.js'

const fauxqs = await startFauxqs()
t.teardown(() => fauxqs.stop())
// SqsClientBackend.open takes credentials the standard way: from the environment.
process.env.AWS_ACCESS_KEY_ID = 'test'
process.env.AWS_SECRET_ACCESS_KEY = 'test'

const urlFor = (prefix: string): string =>
  `sqs://?region=${REGION}&endpoint=${encodeURIComponent(fauxqs.endpoint)}&prefix=${prefix}`

t.test('a producer publishes and a consumer handles, acks and retries through SQS', async (t) => {
  const url = urlFor(uniquePrefix('lib'))
  const producer = await Producer.connect({ backend: await SqsClientBackend.open(url) })
  t.teardown(() => producer.close())
  const mids = await Promise.all([1, 2, 3].map((n) => producer.publish('work', { n }, { attrs: { kind: 'test' } })))
  t.equal(new Set(mids).size, 3)

  const seen: { n: number; receives: number }[] = []
  let finished: () => void = () => {}
  const allDone = new Promise<void>((resolve) => (finished = resolve))
  const backend = await SqsClientBackend.open(url)
  t.teardown(() => backend.close())
  const consumer = await Consumer.start<{ n: number }>({
    backend, queue: 'work', prefetch: 2, retryDelay: () => 0.2, // a fractional backoff waits a whole second
    handler: async (message) => {
      seen.push({ n: message.body.n, receives: message.receives })
      t.same(message.attrs, { kind: 'test' })
      if (message.body.n === 2 && message.receives === 1) throw new Error('the first attempt fails')
      if (seen.length === 4) finished()
    },
  })
  await allDone
  await consumer.stop()
  t.same(seen.filter((s) => s.n !== 2), [{ n: 1, receives: 1 }, { n: 3, receives: 1 }])
  t.same(seen.filter((s) => s.n === 2), [{ n: 2, receives: 1 }, { n: 2, receives: 2 }], 'retried after the nack')
  const stats = await backend.stats('work')
  t.match(stats.queues, [{ queue: 'work', ready: 0, inflight: 0, delayed: 0 }], 'everything acked')
})
