// The queue setup of the engine's model test (model.test.ts), run against the shared reference
// model (test/helpers/queue-model.ts): a standard queue with retention, a fifo queue with groups
// and a dedup window, both with maxReceives and one dead-letter queue; and the port without a log
// the engine runs on there, which keeps what the engine writes for a restart to read back.
import type { EnginePort } from '../../broker/queues/port.js'
import type { EngineRecord } from '../../broker/queues/records.js'
import type { QueueRecord } from '../../broker/queues/apply.js'
import type { ModelSetup } from '../helpers/queue-model.js'

export const WORK = 'work'
export const FIFO = 'orders'
export const DEAD = 'dead'
export const VISIBILITY_MS = 30_000
/** The standard queue's retention: a few minutes, so that runs reach it. */
export const RETENTION_MS = 240_000
export const OWNER = { id: 1 }

export const SETUP: ModelSetup = {
  queues: [WORK, FIFO, DEAD],
  visibilityMs: VISIBILITY_MS,
  maxReceives: { [WORK]: 3, [FIFO]: 2 },
  deadLetter: DEAD,
  fifo: FIFO,
  retention: { queue: WORK, ms: RETENTION_MS },
}

/**
 * The port without a log: every record kept in memory, in order, as the log would keep it (its
 * JSON text read back: nothing written can change afterwards), every write durable at once.
 */
export class MemoryPort implements EnginePort {
  readonly backlogs = false
  readonly records: QueueRecord[] = []
  write(record: EngineRecord): void {
    this.records.push(JSON.parse(JSON.stringify(record)) as QueueRecord)
  }
  durable(): Promise<void> {
    return Promise.resolve()
  }
  readBody(): undefined {
    return undefined
  }
  readAhead(): [] {
    return []
  }
}
