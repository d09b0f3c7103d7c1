// The receipts this process handed out: which queue each belongs to (an SQS call needs it), who
// holds it (released when that connection closes), and when its visibility timeout runs out
// (after which `ack` answers unknown_receipt, as on the local store).
import type { Clock } from '../clock.js'
import type { Owner } from '../protocol/store-types.js'
import type { QueueRef } from './queues.js'

export interface Holder {
  /** A subscription's prefetch slot is freed when its delivery is settled or times out. */
  settled(): void
}

export interface ReceiptEntry {
  mid: string
  queue: QueueRef
  owner: Owner
  holder: Holder | undefined
  /** Clock time when the visibility timeout runs out and the receipt dies. */
  deadline: number
  timer: unknown
}

export class ReceiptBook {
  private readonly entries = new Map<string, ReceiptEntry>()
  /** mid -> its newest receipt: SQS only hands out a new one once the old one is dead. */
  private readonly byMid = new Map<string, string>()

  constructor(private readonly clock: Clock) {}

  add(receipt: string, mid: string, queue: QueueRef, owner: Owner, holder: Holder | undefined, seconds: number): void {
    // Redelivered before our timer noticed the old timeout: the old receipt must not ack it.
    const stale = this.byMid.get(mid)
    if (stale !== undefined) this.take(stale)
    const entry: ReceiptEntry = { mid, queue, owner, holder, deadline: 0, timer: undefined }
    this.entries.set(receipt, entry)
    this.byMid.set(mid, receipt)
    this.schedule(receipt, entry, seconds)
  }

  get(receipt: string): ReceiptEntry | undefined {
    return this.entries.get(receipt)
  }

  /** Settles a receipt: forgotten here, its holder's slot freed. */
  take(receipt: string): ReceiptEntry | undefined {
    const entry = this.entries.get(receipt)
    if (!entry) return undefined
    this.entries.delete(receipt)
    if (this.byMid.get(entry.mid) === receipt) this.byMid.delete(entry.mid)
    this.clock.clearTimeout(entry.timer)
    entry.holder?.settled()
    return entry
  }

  extend(receipt: string, seconds: number): void {
    const entry = this.entries.get(receipt)
    if (!entry) return
    this.clock.clearTimeout(entry.timer)
    this.schedule(receipt, entry, seconds)
  }

  receiptsOf(owner: Owner): string[] {
    const out: string[] = []
    for (const [receipt, entry] of this.entries) if (entry.owner === owner) out.push(receipt)
    return out
  }

  receiptsIn(queueName: string): string[] {
    const out: string[] = []
    for (const [receipt, entry] of this.entries) if (entry.queue.name === queueName) out.push(receipt)
    return out
  }

  clear(): void {
    for (const entry of this.entries.values()) this.clock.clearTimeout(entry.timer)
    this.entries.clear()
    this.byMid.clear()
  }

  private schedule(receipt: string, entry: ReceiptEntry, seconds: number): void {
    entry.deadline = this.clock.now() + seconds * 1000
    entry.timer = this.clock.setTimeout(() => {
      if (this.entries.get(receipt) === entry) this.take(receipt)
    }, seconds * 1000)
  }
}
