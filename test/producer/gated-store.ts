// A LocalStore whose publishes are confirmed only when the test says so, and which survives a
// broker restart (close is a no-op), so one store can serve two brokers on the same port.
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import type { MessageStore, PublishTarget } from '../../broker/store/types.js'
import type { PublishInput } from '../../shared/protocol/types.js'
import type { Clock } from '../../shared/clock.js'

export interface Gate {
  store: MessageStore
  /** Publish calls seen, with the number of messages in each. */
  calls: number[]
  /** Messages the store holds unconfirmed now, and the most it ever held. */
  held(): number
  peak(): number
  /** While closed, confirmations wait; open() lets them all through. */
  close(): void
  open(): void
  /** Resolves once at least `n` messages are held unconfirmed. */
  whenHeld(n: number): Promise<void>
}

export async function gatedStore(options: { clock?: Clock } = {}): Promise<Gate> {
  const inner = new LocalStore({ journal: new MemoryJournal(), ...(options.clock ? { clock: options.clock } : {}) })
  await inner.open()
  const calls: number[] = []
  let gateOpen = true
  let held = 0
  let peak = 0
  let release: (() => void)[] = []
  let watchers: { n: number; resolve: () => void }[] = []
  const publish = async (target: PublishTarget, inputs: PublishInput[]): Promise<string[]> => {
    calls.push(inputs.length)
    held += inputs.length
    peak = Math.max(peak, held)
    watchers = watchers.filter((w) => (held >= w.n ? (w.resolve(), false) : true))
    if (!gateOpen) await new Promise<void>((resolve) => release.push(resolve))
    held -= inputs.length
    return inner.publish(target, inputs)
  }
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'publish') return publish
      if (prop === 'open' || prop === 'close') return async () => {}
      const value = Reflect.get(target, prop, receiver) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  }) as MessageStore
  return {
    store,
    calls,
    held: () => held,
    peak: () => peak,
    close: () => {
      gateOpen = false
    },
    open: () => {
      gateOpen = true
      const waiting = release
      release = []
      for (const r of waiting) r()
    },
    whenHeld: (n) => (held >= n ? Promise.resolve() : new Promise((resolve) => watchers.push({ n, resolve }))),
  }
}
