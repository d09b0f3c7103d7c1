// Wraps a real backend and reports each settle call once the broker has answered it.
import { EventEmitter, once } from 'node:events'
import { openBackend, type ClientBackend } from '../../shared/client/backend.js'

export interface Spy {
  backend: ClientBackend
  acks: string[][]
  nacks: { receipt: string; delay: number }[]
  touches: { receipt: string; timeout: number }[]
  /** Resolves with the arguments of the next settled call of that kind. */
  next(kind: 'ack' | 'nack' | 'touch'): Promise<unknown[]>
}

export async function spyBackend(port: number): Promise<Spy> {
  const inner = await openBackend(`hubq://127.0.0.1:${port}`, { reconnect: { initial: 5, max: 40 } })
  const events = new EventEmitter()
  const spy: Spy = {
    acks: [],
    nacks: [],
    touches: [],
    next: (kind) => once(events, kind),
    backend: {
      get limits() {
        return inner.limits
      },
      publish: (target, messages) => inner.publish(target, messages),
      declare: (options) => inner.declare(options),
      subscribe: (queue, prefetch, onDelivery) => inner.subscribe(queue, prefetch, onDelivery),
      stats: (queue) => inner.stats(queue),
      topic: (topic) => inner.topic(topic),
      bind: (topic, queue, filter) => inner.bind(topic, queue, filter),
      unbind: (topic, queue) => inner.unbind(topic, queue),
      peek: (queue, state, max) => inner.peek(queue, state, max),
      purge: (queue) => inner.purge(queue),
      drop: (queue) => inner.drop(queue),
      dropTopic: (topic) => inner.dropTopic(topic),
      redrive: (queue) => inner.redrive(queue),
      close: () => inner.close(),
      ack: async (receipts) => {
        spy.acks.push(receipts)
        const acked = await inner.ack(receipts)
        events.emit('ack', receipts, acked)
        return acked
      },
      nack: async (receipt, delay) => {
        spy.nacks.push({ receipt, delay })
        await inner.nack(receipt, delay)
        events.emit('nack', receipt, delay)
      },
      touch: async (receipt, timeout) => {
        spy.touches.push({ receipt, timeout })
        await inner.touch(receipt, timeout)
        events.emit('touch', receipt, timeout)
      },
    },
  }
  return spy
}
