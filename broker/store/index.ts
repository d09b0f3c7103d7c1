// Picks the store behind the broker from its config.
import type { Clock } from '../../shared/clock.js'
import type { Logger } from '../../shared/logger.js'
import { MemoryJournal } from './journal.js'
import { LogJournal } from './log/journal.js'
import { LocalStore } from './local/store.js'
import { isSqsUrl } from '../../shared/sqs/url.js'
import type { FsyncPolicy } from './log/policy.js'
import type { MessageStore } from './types.js'

/** `--data :memory:` keeps nothing on disk (tests, demos); any other value is the log's folder. */
export const MEMORY_DATA = ':memory:'

/**
 * The settings a store is chosen and built by. The broker passes its whole config, which has
 * these fields; the store never imports the config itself.
 */
export interface StoreSettings {
  /** `local`, or an `sqs://` URL. */
  backend: string
  /** The log's folder, or MEMORY_DATA. */
  data: string
  fsync: FsyncPolicy
  limits: { maxQueues: number }
  bodiesInMemory: number
}

/**
 * `clock`: the broker's, so that the queues' timers (visibility, delays, retention) run on the
 * same time as everything else in the broker.
 */
export async function createStore(
  config: StoreSettings, _log: Logger, options: { fsyncObserver?: { onFsync(seconds: number): void }; clock?: Clock } = {},
): Promise<MessageStore> {
  if (config.backend === 'local') {
    const { clock } = options
    const journal = config.data === MEMORY_DATA
      ? new MemoryJournal()
      : new LogJournal({ dir: config.data, fsync: config.fsync, log: _log, ...options })
    return new LocalStore({
      journal, maxQueues: config.limits.maxQueues, bodiesInMemory: config.bodiesInMemory, ...(clock ? { clock } : {}),
    })
  }
  // Loaded only when asked for: the AWS SDK adds most of a second to every broker start.
  if (isSqsUrl(config.backend)) {
    return (await import('./sqs/store.js')).SqsStore.fromUrl(config.backend, _log, { maxQueues: config.limits.maxQueues })
  }
  throw new Error(`backend ${config.backend} is not available in this build`)
}
