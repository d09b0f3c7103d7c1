// When the writer fsyncs, beyond the fsync of a batch a commit() waits on under `always`: every
// so often under `interval`, soon after a write nobody waited on under `always`, and when a
// commit() finds everything written but not yet synced.
import type { Clock } from '../../../shared/clock.js'
import { Batch } from './batch.js'
import type { FsyncPolicy } from './policy.js'

/**
 * Under `always`, a batch nobody waits on (acks, receive counts, releases: nothing confirmed
 * depends on it) is written at once but fsynced with the next batch that is waited on, or
 * this long after, whichever comes first (PROTOCOL.md §9).
 */
export const UNWAITED_SYNC_MS = 200

export class SyncSchedule {
  /** Written since the last fsync of the active segment. */
  dirty = false
  /** An fsync is due: the writer runs it as its next task. */
  due = false
  /** Commits that found everything written but not yet fsynced: settled by the next sync. */
  private waiter: Batch | undefined
  private intervalTimer: unknown
  /** Under `always`: the fsync due for a write nobody waited on (see UNWAITED_SYNC_MS). */
  private lazyTimer: unknown

  /** `schedule` starts the writer; `clock` runs the timers. */
  constructor(private readonly policy: FsyncPolicy, private readonly schedule: () => void, private readonly clock: Clock) {}

  /** Once the log is open: under `interval`, an fsync every so often. */
  start(): void {
    const policy = this.policy
    if (policy.mode !== 'interval') return
    const tick = (): void => {
      this.intervalTimer = this.clock.setTimeout(tick, policy.ms)
      this.dueNow()
    }
    this.intervalTimer = this.clock.setTimeout(tick, policy.ms)
  }

  /** A batch is written: whether it is fsynced before it settles (`waited`: a commit() waits on it). */
  syncsBatch(waited: boolean): boolean {
    return this.policy.mode === 'always' && waited
  }

  /** A batch was written and not fsynced: under `always`, its fsync rides along with the next waited batch, or comes by a timer. */
  unsynced(closing: boolean): void {
    this.dirty = true
    if (this.policy.mode !== 'always' || this.lazyTimer !== undefined || closing) return
    this.lazyTimer = this.clock.setTimeout(() => {
      this.lazyTimer = undefined
      if (this.dirty) this.dueNow()
    }, UNWAITED_SYNC_MS)
  }

  /** commit() found everything written: under `always`, it waits for the fsync still owed (undefined: none is). */
  owed(): Promise<void> | undefined {
    if (!this.dirty || this.policy.mode !== 'always') return undefined
    this.dueNow()
    return (this.waiter ??= new Batch()).done()
  }

  /** The writer takes the due fsync: who waits on it. */
  take(): Batch | undefined {
    this.due = false
    const waiter = this.waiter
    this.waiter = undefined
    return waiter
  }

  stop(): void {
    if (this.intervalTimer !== undefined) this.clock.clearTimeout(this.intervalTimer)
    if (this.lazyTimer !== undefined) this.clock.clearTimeout(this.lazyTimer)
    this.intervalTimer = undefined
    this.lazyTimer = undefined
  }

  private dueNow(): void {
    this.due = true
    this.schedule()
  }
}
