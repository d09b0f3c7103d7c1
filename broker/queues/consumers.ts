// What the engine does for consumers beyond a single delivery: a receive that waits (long poll)
// and its waiter, and an owner's connection closing (its subscriptions end, its deliveries come
// back at once).
import type { Delivery } from '../../shared/protocol/types.js'
import type { Owner, ReceiveOptions } from '../../shared/protocol/store-types.js'
import type { QueueEngine } from './engine.js'
import type { LocalSubscription, StoredMessage } from './message.js'
import type { Queue } from './queue.js'
import { toDelivery } from './records.js'

/** Takes up to `max` messages now; with none and a wait, the receive waits for the next ones. */
export function receive(engine: QueueEngine, queue: Queue, options: ReceiveOptions): Delivery[] | Promise<Delivery[]> {
  const taken: StoredMessage[] = []
  for (let m = engine.take(queue); m; m = taken.length < options.max ? engine.take(queue) : undefined) {
    engine.markInflight(m, options.visibilityTimeout, options.owner, undefined)
    taken.push(m)
    if (taken.length >= options.max) break
  }
  if (taken.length > 0 || options.wait <= 0) {
    const deliveries = taken.map((m) => toDelivery(m))
    const durable = engine.deliveryDurable(taken)
    return durable === undefined ? deliveries : durable.then(() => deliveries)
  }
  const clock = engine.clock
  return new Promise((resolve, reject) => {
    let timer: unknown
    const waiter = {
      max: options.max,
      visibilityTimeout: options.visibilityTimeout,
      owner: options.owner,
      resolve: (messages: StoredMessage[]) => {
        if (timer !== undefined) clock.clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        const deliveries = messages.map((m) => toDelivery(m))
        const durable = engine.deliveryDurable(messages)
        if (durable === undefined) resolve(deliveries)
        else durable.then(() => resolve(deliveries), reject)
      },
    }
    const onAbort = (): void => removeWaiter(queue, waiter)
    timer = clock.setTimeout(() => removeWaiter(queue, waiter), options.wait * 1000)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    queue.waiters.push(waiter)
  })
}

function removeWaiter(queue: Queue, waiter: { resolve: (m: StoredMessage[]) => void }): void {
  const rest = [...queue.waiters].filter((w) => w !== waiter)
  if (rest.length === queue.waiters.length) return
  queue.waiters.clear()
  for (const w of rest) queue.waiters.push(w)
  waiter.resolve([])
}

/** Every waiting receive of the queue is answered with nothing (the queue is dropped, the store closing). */
export function cancelWaiters(queue: Queue): void {
  for (let w = queue.waiters.shift(); w; w = queue.waiters.shift()) w.resolve([])
}

/** The owner's connection closed: its subscriptions end and its deliveries come back at once. */
export function releaseOwner(engine: QueueEngine, owner: Owner): void {
  engine.gone.add(owner)
  const touched = new Set<Queue>()
  for (const queue of engine.queues.values()) {
    for (let i = queue.subscriptions.length - 1; i >= 0; i--) {
      const sub = queue.subscriptions[i] as LocalSubscription
      if (sub.owner === owner) {
        sub.closed = true
        queue.subscriptions.splice(i, 1)
      }
    }
  }
  // Each release goes to the front, so walk newest first: the released keep their order.
  for (const message of [...engine.receipts.values()].reverse()) {
    if (message.owner !== owner) continue
    engine.releaseMessage(message, 0, false)
    touched.add(message.queue)
    // The release may have moved it to the dead-letter queue, whose consumers wait too.
    const deadLetter = message.queue.config.deadLetter
    const target = deadLetter === undefined ? undefined : engine.queues.get(deadLetter)
    if (target) touched.add(target)
  }
  for (const queue of touched) engine.dispatch(queue)
}

