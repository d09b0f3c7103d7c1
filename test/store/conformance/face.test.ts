// The store conformance suite, unchanged, against the project's own sqs:// adapter pointed at
// hubq's SQS/SNS face (a second broker, in this process, on a local store): hubq behind hubq.
// The adapter keeps topics as SNS topics and its stats list them, so the suite needs the face's
// SNS: until the face serves ListTopics this file checks only that it says so (InvalidAction).
import t from 'tap'
import { SQSClient } from '@aws-sdk/client-sqs'
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns'
import { Broker } from '../../../broker/server.js'
import { LocalStore } from '../../../broker/store/local/store.js'
import { MemoryJournal } from '../../../broker/store/journal.js'
import { SqsStore } from '../../../broker/store/sqs/store.js'
import { uniquePrefix } from '../../helpers/fauxqs.js'
import { KNOWN_EXCEPTIONS, conformance } from './suite.js'

const backend = new Broker({ store: new LocalStore({ journal: new MemoryJournal() }), sqs: { port: 0 } })
await backend.start(0)
t.teardown(() => backend.stop())
const endpoint = `http://127.0.0.1:${backend.sqsAddress?.port ?? 0}`
const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 3 }

const probe = new SNSClient(config)
const listed = await probe.send(new ListTopicsCommand({})).then(() => undefined, (err: unknown) => err)
probe.destroy()

if (listed !== undefined) {
  t.test('the face serves no SNS yet: the suite waits for it', async (t) => {
    t.match(listed, { name: 'InvalidAction' })
  })
} else conformance(t, 'sqs-face', async (options) => {
  const sqs = new SQSClient(config)
  const sns = new SNSClient(config)
  const store = new SqsStore({ url: { region: 'us-east-1', endpoint, prefix: uniquePrefix('face') }, sqs, sns, subscriptionWait: 2, ...options })
  return { store, cleanup: () => { sqs.destroy(); sns.destroy() } }
}, new Set(KNOWN_EXCEPTIONS))
