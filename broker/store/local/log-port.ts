// The engine's port over the store's Journal (broker/queues/port.ts): the engine's records are
// appended as they are (with the seqs a delete or expire ends, for the log's live counts), bodies
// and backlogs read back from the log when it can.
import type { Journal, JournalRecord, LogHandle } from '../journal.js'
import type { EnginePort } from '../../queues/port.js'
import type { EngineRecord, MessageBody } from '../../queues/records.js'
import { messageOf } from '../../queues/records.js'
import type { StoredMessage } from '../../queues/message.js'
import type { Queue } from '../../queues/queue.js'
import { backlogIndex } from '../../queues/placement.js'

export class LogPort implements EnginePort {
  readonly backlogs: boolean

  constructor(private readonly journal: Journal) {
    this.backlogs = journal.scan !== undefined
  }

  write(record: EngineRecord, ends?: number): void {
    this.journal.append(record as JournalRecord, ends)
  }

  durable(): Promise<void> {
    return this.journal.commit()
  }

  readBody(seq: number): MessageBody | undefined {
    return this.journal.readBody?.(seq)
  }

  /**
   * Reads the next messages of the queue's backlog from the log, in order; the `advance` record
   * goes first, so that what is written about them next finds them after a restart.
   */
  readAhead(queue: Queue, max: number): StoredMessage[] {
    const backlog = queue.backlog
    const journal = this.journal
    const start = backlog.start
    if (start === undefined || journal.scan === undefined || journal.position === undefined) return []
    const found: StoredMessage[] = []
    const files: unknown[] = []
    let end: LogHandle
    try {
      end = journal.scan(start, undefined, (record, where) => {
        const index = backlogIndex(record, queue.name)
        if (index < 0) return true
        files.push(where)
        return found.push(messageOf(queue, record, index)) < max
      })
      if (found.length === 0) return found
      journal.append({ type: 'advance', queue: queue.name, to: journal.position(end) })
    } catch {
      // The log reports its own failure; the backlog is read again on the next take (the
      // messages made so far are not held by anything).
      return []
    }
    backlog.start = end
    for (const where of files) backlog.taken(where)
    return found
  }
}
