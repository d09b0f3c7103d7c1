// subscribe on SQS: a long-poll loop per subscription that keeps at most `prefetch` deliveries
// unacked, asking SQS for no more than the free slots (and at most 10) per call. A paused
// subscription delivers nothing, not even what a poll already out brings back.
import type { Delivery } from '../protocol/types.js'
import type { HubqError } from '../errors.js'
import type { Subscription } from '../protocol/store-types.js'
import type { Holder } from './receipts.js'
import { SQS_BATCH } from './limits.js'

export interface PollHooks {
  /** Receives up to `max` messages, each registered as held by `holder`. */
  fetch(max: number, holder: Holder): Promise<Delivery[]>
  /** Deliveries that arrived after close: nobody saw them, so they wait for the next reader. */
  orphaned(deliveries: Delivery[]): void
  /** A failed poll: logged; `not_found` (queue dropped) ends the subscription. */
  failed(err: HubqError): void
  /** Resolves after the pause between failed polls (or at once when closing). */
  pause(ms: number): Promise<void>
}

export class PollingSubscription implements Subscription, Holder {
  private unacked = 0
  private closed = false
  private paused = false
  /** What a poll brought back while paused, not yet delivered. */
  private held: Delivery[] = []
  private wake: (() => void) | undefined

  constructor(
    readonly id: string,
    private readonly prefetch: number,
    private readonly deliver: (d: Delivery) => void,
    private readonly hooks: PollHooks,
  ) {}

  start(): void {
    void this.run()
  }

  close(): void {
    this.closed = true
    // At once, not on the loop's next turn: the owner's deliveries are released right after.
    const held = this.held.splice(0)
    if (held.length > 0) this.hooks.orphaned(held)
    this.signal()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.signal()
  }

  settled(): void {
    this.unacked--
    this.signal()
  }

  private signal(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const free = this.paused ? 0 : this.prefetch - this.unacked
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.wake = resolve))
        continue
      }
      let deliveries: Delivery[]
      try {
        deliveries = await this.hooks.fetch(Math.min(free, SQS_BATCH), this)
      } catch (err) {
        if (this.closed) break
        const error = err as HubqError
        this.hooks.failed(error)
        if (error.code === 'not_found') break
        await this.hooks.pause(1000)
        continue
      }
      if (this.closed) {
        this.hooks.orphaned(deliveries)
        break
      }
      if (this.paused && deliveries.length > 0) {
        // Paused while the poll was out (a full write buffer, or a client that ended its side):
        // what it took waits for the resume; a close first hands it to the next reader.
        this.held = deliveries
        while (this.paused && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve))
        if (this.closed) break
        deliveries = this.held.splice(0)
      }
      for (const delivery of deliveries) {
        this.unacked++
        this.deliver(delivery)
      }
    }
  }
}
