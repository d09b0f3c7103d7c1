// The store conformance suite, unchanged, against the SNS/SQS adapter on fauxqs over HTTP.
import t from 'tap'
import { startFauxqs, uniquePrefix } from '../../helpers/fauxqs.js'
import { KNOWN_EXCEPTIONS, conformance } from './suite.js'

const fauxqs = await startFauxqs()
t.teardown(() => fauxqs.stop())

// Every difference applies: each is a row of PROTOCOL.md "Cloud mode differences".
conformance(t, 'sqs', async (options) => ({ store: fauxqs.store(uniquePrefix('conf'), options), cleanup: () => {} }), new Set(KNOWN_EXCEPTIONS))
