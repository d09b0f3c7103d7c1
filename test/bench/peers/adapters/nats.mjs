// NATS JetStream through nats.js: a work-queue stream with file storage, `js.publish` (its
// PubAck is the confirm), a durable pull consumer with explicit acks, max_ack_pending = window,
// read with `consume({ max_messages: window })`.
import { clientModule } from './client-module.mjs'
import { connections } from './connections.mjs'

const STREAM = 'BENCH'
const SUBJECT = 'bench'
const DURABLE = 'c1'

export async function open({ port, window }) {
  const { connect, AckPolicy, RetentionPolicy, StorageType } = await clientModule('nats')
  const pool = connections(() => connect({ servers: `127.0.0.1:${port}` }))
  const manager = await (await pool.open()).jetstreamManager()
  await manager.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File, retention: RetentionPolicy.Workqueue })
  await manager.consumers.add(STREAM, { durable_name: DURABLE, ack_policy: AckPolicy.Explicit, max_ack_pending: window })
  return {
    async producer() {
      const js = (await pool.open()).jetstream()
      return { publish: (payload) => js.publish(SUBJECT, payload) }
    },
    async consumer(onMessage, expected) {
      const c = await pool.open()
      const messages = await (await c.jetstream().consumers.get(STREAM, DURABLE)).consume({ max_messages: window })
      const read = async () => {
        let got = 0
        for await (const message of messages) {
          onMessage(message.data)
          message.ack()
          if (++got >= expected) break
        }
      }
      read()
      // Acks have no reply; flush() is a PING/PONG round trip behind them.
      return { settled: () => c.flush() }
    },
    close: pool.close,
  }
}
