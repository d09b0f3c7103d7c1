// The engine's port over the store's Journal (broker/queues/port.ts): the engine's records are
// appended as they are, the messages they are about noted for the log's live counts, bodies and
// backlogs read back from the log when it can.
import { HELD, type Journal, type JournalRecord, type LogHandle } from '../journal.js'
import type { EnginePort } from '../../queues/port.js'
import type { EngineRecord, MessageBody } from '../../queues/records.js'
import { messageOf } from '../../queues/records.js'
import type { LogSlot, StoredMessage } from '../../queues/message.js'
import type { Queue } from '../../queues/queue.js'
import { backlogIndex } from '../../queues/placement.js'

export class LogPort implements EnginePort {
  readonly backlogs: boolean

  constructor(private readonly journal: Journal) {
    this.backlogs = journal.scan !== undefined
  }

  write(record: EngineRecord): void {
    this.journal.append(record as JournalRecord)
  }

  held(record: EngineRecord, messages: LogSlot[]): void {
    (record as { [HELD]?: LogHandle[] })[HELD] = messages
  }

  durable(): Promise<void> {
    return this.journal.commit()
  }

  readBody(slot: LogSlot): MessageBody | undefined {
    return this.journal.readBody?.(slot)
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
    let end: LogHandle
    try {
      end = journal.scan(start, undefined, (record, where, at) => {
        const index = backlogIndex(record, queue.name)
        if (index < 0) return true
        const message = messageOf(queue, record, index)
        message.where = where
        message.at = at
        return found.push(message) < max
      })
      if (found.length === 0) return found
      journal.append({ type: 'advance', queue: queue.name, to: journal.position(end) })
    } catch {
      // The log reports its own failure; the backlog is read again on the next take (the
      // messages made so far are not held by anything).
      return []
    }
    backlog.start = end
    return found
  }
}
