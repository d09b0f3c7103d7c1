// Publishes five jobs and prints their ids once the broker has confirmed each.
// Run: npm run build && HUBQ_URL=hubq://127.0.0.1:7400 node dist/producer/examples/produce.js
import { Producer } from '../index.js' // in your project: from 'hubq/producer'

const producer = await Producer.connect({ url: process.env.HUBQ_URL })
for (let n = 1; n <= 5; n++) {
  const mid = await producer.publish('jobs', { n }, { attrs: { kind: 'example' } })
  console.log(`published job ${n} as ${mid}`)
}
await producer.close()
