// A ManualClock a test can wait on: it says when the broker sets a timer, so the test moves time
// past it instead of sleeping.
import { ManualClock } from '../../shared/clock.js'

/** A ManualClock that says when a timer of a given length is set (a long poll has started). */
export class WatchedClock extends ManualClock {
  private readonly watchers: { ms: number; resolve: () => void }[] = []

  override setTimeout(fn: () => void, ms: number): unknown {
    const handle = super.setTimeout(fn, ms)
    for (let i = this.watchers.length - 1; i >= 0; i--) {
      const watcher = this.watchers[i]
      if (watcher && watcher.ms === ms) {
        this.watchers.splice(i, 1)
        watcher.resolve()
      }
    }
    return handle
  }

  /** Resolves at the next setTimeout(…, ms). Call before sending the request that sets it. */
  timerSet(ms: number): Promise<void> {
    return new Promise((resolve) => this.watchers.push({ ms, resolve }))
  }
}
