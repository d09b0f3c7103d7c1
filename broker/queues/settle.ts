// Settling a delivery by its receipt (PROTOCOL.md §6.2-§6.4): an ack deletes the message, a nack
// releases it (now or after a delay, or on to its dead letters), a touch moves its visibility
// deadline. A receipt nobody holds any more is `unknown_receipt`.
import type { QueueEngine } from './engine.js'
import type { Queue } from './queue.js'
import type { StoredMessage } from './message.js'
import { deleteRecord, unknownReceipt } from './records.js'

/** Each delete record is written before its message leaves: a refused write fails the ack there. */
export function ack(engine: QueueEngine, receipts: string[]): number {
  let acked = 0
  const touched = new Set<Queue>()
  for (const receipt of receipts) {
    const message = engine.receipts.get(receipt)
    if (!message) {
      if (receipts.length === 1) throw unknownReceipt()
      continue
    }
    const queue = message.queue
    engine.port.write(deleteRecord(message), message.seq)
    engine.leaveInflight(message)
    engine.forget(message, true)
    touched.add(queue)
    acked++
  }
  for (const queue of touched) engine.dispatch(queue)
  return acked
}

/**
 * Answered once what the release wrote (its receive count, a delay) is durable, and only then
 * made: until the commit the message stays in flight, its receipt spent and its visibility
 * timeout stopped, so memory ends as the log says. A refused write leaves it in flight under its
 * receipt, its timeout running again (PROTOCOL.md §6.0): nobody was given it meanwhile, and the
 * `release` record is given up with the refused commit (a confirmed record, store/journal.ts).
 */
export function nack(engine: QueueEngine, receipt: string, delay: number): Promise<void> {
  const message = engine.receipts.get(receipt)
  if (!message) throw unknownReceipt()
  return releaseOnceDurable(engine, message, receipt, delay * 1000)
}

function releaseOnceDurable(engine: QueueEngine, message: StoredMessage, receipt: string, delayMs: number): Promise<void> {
  const lease = message.lease
  const visibleAt = engine.writeRelease(message, delayMs)
  engine.receipts.delete(receipt)
  // Written, the release is this op's to make: the visibility timeout stops meanwhile, or its own
  // release (at once) would be undone by a restart, which replays this one (a nack's delay).
  message.generation++
  return engine.port.durable().then(
    () => {
      // Unless a purge or a drop took it meanwhile.
      if (message.lease === lease) engine.leaveAndPlace(message, visibleAt)
    },
    (err: unknown) => {
      if (message.lease !== lease) throw err
      // Its connection closed meanwhile, and that gave back what the owner held, except this: the
      // close's release applies to it now (at once; the refused release, a nack's delay, does not).
      if (lease !== undefined && engine.gone.has(lease.owner)) {
        engine.leaveAndPlace(message, 0)
        throw err
      }
      // Still in flight under its receipt: its timeout runs again (due now if it ran out meanwhile).
      engine.receipts.set(receipt, message)
      engine.timers.add(message.until, message, ++message.generation)
      throw err
    },
  )
}

export function touch(engine: QueueEngine, receipt: string, timeout: number): Promise<void> | undefined {
  const message = engine.receipts.get(receipt)
  if (!message) throw unknownReceipt()
  if (timeout === 0) return releaseOnceDurable(engine, message, receipt, 0)
  message.until = engine.clock.now() + timeout * 1000
  message.generation++
  engine.timers.add(message.until, message, message.generation)
  return undefined
}

export function receiptQueue(engine: QueueEngine, receipt: string): string | undefined {
  return engine.receipts.get(receipt)?.queue.name
}
