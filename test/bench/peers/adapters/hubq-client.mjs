// hubq through the project's own client library, as an application would use it (`npm run bench`):
// a Producer per producer (publishes of one turn batched with `batch`), a Consumer per consumer
// (prefetch = window, acks coalesced per event-loop turn, no heartbeats: one timer per message
// buys nothing in a run far shorter than the visibility timeout). Bodies go as base64 strings.
// The driver keeps its own window of unconfirmed publishes (none in W4), so the Producer's is
// set to its largest and never holds a publish back.
import { Producer } from '../../../../dist/producer/index.js'
import { Consumer } from '../../../../dist/consumer/index.js'

const QUEUE = 'bench'
const PRODUCER_WINDOW = 100_000

/**
 * `batch`: the Producer's `batch` option. `maxReceives` > 0: the queue has a dead-letter limit, so
 * each delivery's receive count is written before it leaves (PROTOCOL.md §6.5).
 */
export async function open({ port, window, batch = false, maxReceives = 0 }) {
  const url = `hubq://127.0.0.1:${port}`
  const opened = []
  return {
    async producer() {
      const p = await Producer.connect({ url, window: PRODUCER_WINDOW, batch })
      opened.push(() => p.close())
      return { publish: (payload) => p.publish(QUEUE, payload.toString('base64')) }
    },
    async consumer(onMessage) {
      const c = await Consumer.start({
        url,
        queue: QUEUE,
        prefetch: window,
        heartbeatInterval: 0,
        declare: { visibilityTimeout: 600, ...(maxReceives > 0 ? { maxReceives, deadLetter: `${QUEUE}.dead` } : {}) },
        handler: (message) => onMessage(Buffer.from(message.body, 'base64')),
      })
      // A throw in onMessage (the driver's "more deliveries than published") is a nack to the
      // Consumer; it is kept and thrown from settled() instead of passing unseen.
      let failure
      c.on('failed', (_message, err) => (failure ??= err))
      const stop = () => c.stop({ timeout: 5 })
      opened.push(stop)
      return {
        // stop() sends the last acks and waits for their replies: the server has processed them.
        async settled() {
          await stop()
          if (failure) throw failure
        },
      }
    },
    close: () => Promise.all(opened.map((close) => close().catch(() => {}))),
  }
}
