// The durable-log backend of the conformance suite: the store the broker builds for a data folder
// (createStore with the broker's default options: fsync always), in a temp folder per scenario.
import { parseBrokerArgs, type BrokerConfig } from '../../../broker/config.js'
import { createStore } from '../../../broker/store/index.js'
import { silentLogger } from '../../../shared/logger.js'
import { tempDir } from '../../helpers/broker.js'
import type { MakeStore } from './suite.js'

/** With `restarts`, each scenario's broker restarts on the same folder in its middle. */
export function logStore(restarts: boolean): MakeStore {
  return async (options) => {
    const dir = tempDir('hubq-conf-log-')
    const args = ['--data', dir.path, ...(options?.maxQueues !== undefined ? ['--max-queues', String(options.maxQueues)] : [])]
    const config = parseBrokerArgs(args, {}) as BrokerConfig
    const open = () => createStore(config, silentLogger)
    return { store: await open(), ...(restarts ? { reopen: open } : {}), cleanup: () => dir.remove() }
  }
}
