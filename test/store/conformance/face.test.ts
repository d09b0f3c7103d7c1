// The store conformance suite, unchanged, against the project's own sqs:// adapter pointed at
// hubq's SQS/SNS face (a second broker, in this process, on a local store): hubq behind hubq.
// The differences are SQS's named exceptions but one: a topic's deliveries through the face carry
// the published mid (a raw subscription is a hubq binding, PROTOCOL.md §12.8), as on the local store.
import t from 'tap'
import { SQSClient } from '@aws-sdk/client-sqs'
import { SNSClient } from '@aws-sdk/client-sns'
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

conformance(t, 'sqs-face', async (options) => {
  const sqs = new SQSClient(config)
  const sns = new SNSClient(config)
  const store = new SqsStore({ url: { region: 'us-east-1', endpoint, prefix: uniquePrefix('face') }, sqs, sns, subscriptionWait: 2, ...options })
  return { store, cleanup: () => { sqs.destroy(); sns.destroy() } }
}, new Set([...KNOWN_EXCEPTIONS].filter((name) => name !== 'topic-mid')))
