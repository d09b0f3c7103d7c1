// The store conformance suite, unchanged, against the local store on the durable log: the store the
// broker builds for a data folder (a temp one here), with the broker's default fsync policy.
import t from 'tap'
import { parseBrokerArgs, type BrokerConfig } from '../../../broker/config.js'
import { createStore } from '../../../broker/store/index.js'
import { silentLogger } from '../../../shared/logger.js'
import { tempDir } from '../../helpers/broker.js'
import { conformance } from './suite.js'

conformance(t, 'log', async (options) => {
  const dir = tempDir('hubq-conf-log-')
  const args = ['--data', dir.path, ...(options?.maxQueues !== undefined ? ['--max-queues', String(options.maxQueues)] : [])]
  const config = parseBrokerArgs(args, {}) as BrokerConfig
  return { store: await createStore(config, silentLogger), cleanup: () => dir.remove() }
}, new Set())
