// Handles jobs until Ctrl-C: a handler that returns acks the job, one that throws gets it back
// later (exponential backoff). Ctrl-C lets the jobs in hand finish before it exits.
// Run: npm run build && HUBQ_URL=hubq://127.0.0.1:7400 node dist/consumer/examples/worker.js
import { Consumer } from '../index.js' // in your project: from 'hubq/consumer'

const consumer = await Consumer.start<{ n: number }>({
  url: process.env.HUBQ_URL,
  queue: 'jobs',
  prefetch: 4,
  handler: async (message) => {
    if (typeof message.body?.n !== 'number') throw new Error('not a job')
    console.log(`job ${message.body.n} done (delivery ${message.receives})`)
  },
})
consumer.on('failed', (message, error, retryDelay) => console.error(`${message.mid} failed: ${String(error)}; retry in ${retryDelay} s`))
consumer.on('error', (error) => console.error(`${error.code}: ${error.message}`))
const stop = (): void => void consumer.stop().then(() => console.log('stopped'))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
