// Picks the store behind the broker from its config.
import type { BrokerConfig } from '../config.js'
import type { Logger } from '../../shared/logger.js'
import { MemoryJournal } from './journal.js'
import { LocalStore } from './local/store.js'
import { SqsStore } from './sqs/store.js'
import { isSqsUrl } from './sqs/url.js'
import type { MessageStore } from './types.js'

export function createStore(config: BrokerConfig, _log: Logger): MessageStore {
  if (config.backend === 'local') return new LocalStore({ journal: new MemoryJournal() })
  if (isSqsUrl(config.backend)) return SqsStore.fromUrl(config.backend, _log)
  throw new Error(`backend ${config.backend} is not available in this build`)
}
