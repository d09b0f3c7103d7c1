// What every part of the SNS/SQS core shares: the AWS clients, the queue and topic directories,
// the receipts handed out, the orphans held, this process's counters, and the one way an AWS call
// is made (its failure a HubqError, the outage flag that `healthy` reads kept up to date).
import type { SNSClient } from '@aws-sdk/client-sns'
import type { SQSClient } from '@aws-sdk/client-sqs'
import type { Clock } from '../clock.js'
import { HubqError } from '../errors.js'
import type { Logger } from '../logger.js'
import { fromAws } from './errors.js'
import type { Orphans } from './orphans.js'
import type { QueueDirectory } from './queues.js'
import type { ReceiptBook } from './receipts.js'
import type { TopicDirectory } from './topics.js'

export interface SqsContext {
  readonly sqs: SQSClient
  readonly sns: SNSClient
  readonly queues: QueueDirectory
  readonly topics: TopicDirectory
  readonly receipts: ReceiptBook
  readonly orphans: Orphans
  readonly calls: AwsCalls
  readonly counters: Counters
  readonly log: Logger
  readonly clock: Clock
}

/** What went through this process per queue: SQS keeps no such counters. */
export interface QueueCounters {
  published: number
  acked: number
  redelivered: number
}

export class Counters {
  private readonly byQueue = new Map<string, QueueCounters>()

  of(queue: string): QueueCounters {
    let counters = this.byQueue.get(queue)
    if (!counters) this.byQueue.set(queue, (counters = { published: 0, acked: 0, redelivered: 0 }))
    return counters
  }
}

export class AwsCalls {
  private readonly stopping = new AbortController()
  private lastCallFailed = false

  constructor(private readonly queues: QueueDirectory) {}

  /** Aborted when the core closes: long polls out are cut short. */
  get signal(): AbortSignal {
    return this.stopping.signal
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted
  }

  stop(): void {
    this.stopping.abort()
  }

  healthy(): boolean {
    return !this.lastCallFailed
  }

  /** A call that went through outside `call` (its own error handling): the outage is over. */
  succeeded(): void {
    this.lastCallFailed = false
  }

  /** One AWS call: success clears the outage flag, failure becomes a HubqError. */
  async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      const result = await send()
      this.lastCallFailed = false
      return result
    } catch (err) {
      if (this.stopping.signal.aborted) throw new HubqError('unavailable', 'the store is closing')
      throw this.failure(err, what)
    }
  }

  failure(err: unknown, what: string): HubqError {
    const error = fromAws(err, what)
    // A queue deleted behind our back: the cached URLs are stale. Cheap to rebuild.
    if (error.code === 'not_found') this.queues.forgetAll()
    this.lastCallFailed = error.code === 'unavailable'
    return error
  }

  /** Tracks the outage flag for calls made by the directories. */
  async tracked<T>(work: Promise<T>): Promise<T> {
    try {
      const result = await work
      this.lastCallFailed = false
      return result
    } catch (err) {
      const error = fromAws(err, 'AWS call')
      this.lastCallFailed = error.code === 'unavailable'
      throw error
    }
  }
}
