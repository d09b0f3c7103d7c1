// hubq over its wire protocol (PROTOCOL.md §1: 4-byte length + JSON), with the project's frame
// codec and no client library, as the other peers' adapters are thin: `publish {queue, body}` per
// message (body: base64), confirmed by its reply; `subscribe` with prefetch = window; the acks of
// one event-loop turn go out as one `ack {receipts}` frame. hubq-client.mjs (`npm run bench`)
// drives the project's own Producer and Consumer instead.
import { connections, dial } from './connections.mjs'
import { encodeFrame, FrameDecoder } from '../../../../dist/shared/protocol/codec.js'

const QUEUE = 'bench'

async function connect(port) {
  const socket = await dial(port)
  const decoder = new FrameDecoder(16 * 1024 * 1024 - 1)
  // Replies come back in request order (PROTOCOL.md §2), so a FIFO of waiters matches them.
  const waiting = []
  let onDeliver = () => {}
  socket.on('data', (chunk) => {
    for (const event of decoder.push(chunk)) {
      if (event.kind !== 'frame') throw new Error(`unexpected ${event.kind} frame from the broker`)
      const frame = JSON.parse(event.text)
      if (frame.op === 'deliver') {
        onDeliver(frame)
        continue
      }
      const waiter = waiting.shift()
      if (frame.ok) waiter.resolve(frame)
      else waiter.reject(new Error(JSON.stringify(frame.error)))
    }
  })
  socket.on('close', () => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error('connection closed'))
  })
  return {
    request: (obj) => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject })
      socket.write(encodeFrame('binary', JSON.stringify(obj)))
    }),
    set onDeliver(handler) {
      onDeliver = handler
    },
    close: () => new Promise((resolve) => socket.end(resolve)),
  }
}

export async function open({ port, window }) {
  const pool = connections(() => connect(port))
  await (await pool.open()).request({ op: 'declare', queue: QUEUE, visibilityTimeout: 600 })
  return {
    async producer() {
      const c = await pool.open()
      return { publish: (payload) => c.request({ op: 'publish', queue: QUEUE, body: payload.toString('base64') }) }
    },
    async consumer(onMessage) {
      const c = await pool.open()
      let receipts = []
      let lastAck = Promise.resolve()
      const flush = () => {
        if (receipts.length === 0) return
        lastAck = c.request({ op: 'ack', receipts })
        receipts = []
      }
      c.onDeliver = (frame) => {
        onMessage(Buffer.from(frame.body, 'base64'))
        if (receipts.push(frame.receipt) === 1) setImmediate(flush)
      }
      await c.request({ op: 'subscribe', queue: QUEUE, prefetch: window })
      // The last delivery's ack may still wait for its turn: it goes out now, and settled() is
      // its reply (and so every earlier one's: replies come in order).
      return {
        settled() {
          flush()
          return lastAck
        },
      }
    },
    close: pool.close,
  }
}
