// RabbitMQ through amqplib: a durable classic queue, persistent messages on a confirm channel
// (the broker's confirm is the publish's), `prefetch(window)` and one `ack` per message.
import { clientModule } from './client-module.mjs'
import { connections } from './connections.mjs'

const QUEUE = 'bench'

export async function open({ port, window }) {
  const amqp = (await clientModule('amqplib')).default
  const url = `amqp://guest:guest@127.0.0.1:${port}`
  const pool = connections(() => amqp.connect(url))
  await (await (await pool.open()).createChannel()).assertQueue(QUEUE, { durable: true })
  return {
    async producer() {
      const channel = await (await pool.open()).createConfirmChannel()
      return {
        publish: (payload) => new Promise((resolve, reject) =>
          channel.sendToQueue(QUEUE, payload, { persistent: true }, (err) => (err ? reject(err) : resolve()))),
      }
    },
    async consumer(onMessage) {
      const channel = await (await pool.open()).createChannel()
      await channel.prefetch(window)
      await channel.consume(QUEUE, (message) => {
        onMessage(message.content)
        channel.ack(message)
      }, { noAck: false })
      // An ack has no reply; a synchronous method on the same channel is answered after them.
      return { settled: () => channel.checkQueue(QUEUE) }
    },
    close: pool.close,
  }
}
