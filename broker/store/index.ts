// Picks the store behind the broker from its config.
import type { BrokerConfig } from '../config.js'
import type { Logger } from '../../shared/logger.js'
import { MemoryJournal } from './journal.js'
import { LogJournal } from './log/journal.js'
import { LocalStore } from './local/store.js'
import { isSqsUrl } from './sqs/url.js'
import type { MessageStore } from './types.js'

/** `--data :memory:` keeps nothing on disk (tests, demos); any other value is the log's folder. */
export const MEMORY_DATA = ':memory:'

export async function createStore(
  config: BrokerConfig, _log: Logger, options: { fsyncObserver?: { onFsync(seconds: number): void } } = {},
): Promise<MessageStore> {
  if (config.backend === 'local') {
    const journal = config.data === MEMORY_DATA
      ? new MemoryJournal()
      : new LogJournal({ dir: config.data, fsync: config.fsync, log: _log, ...options })
    return new LocalStore({ journal, maxQueues: config.limits.maxQueues, bodiesInMemory: config.bodiesInMemory })
  }
  // Loaded only when asked for: the AWS SDK adds most of a second to every broker start.
  if (isSqsUrl(config.backend)) {
    return (await import('./sqs/store.js')).SqsStore.fromUrl(config.backend, _log, { maxQueues: config.limits.maxQueues })
  }
  throw new Error(`backend ${config.backend} is not available in this build`)
}
