import { createServer } from 'node:net'
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import { startBroker } from './broker-process.mjs'
const port = await new Promise((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)) }) })
const broker = await startBroker({ args: ['--fsync', 'always', '--sqs-port', String(port)], nodeArgs: ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] })
const sqs = new SQSClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'b', secretAccessKey: 'b' } })
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }))
const N = 20000, body = 'x'.repeat(128)
let next = 0
const c0 = broker.usage().cpuS, t0 = performance.now()
await Promise.all(Array.from({ length: 8 }, async () => { while (next < N / 10) { next++; await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: 'm' + i, MessageBody: body })) })) } }))
const t1 = performance.now(), c1 = broker.usage().cpuS
let deleted = 0
await Promise.all(Array.from({ length: 8 }, async () => { while (deleted < N) { const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })); const m = r.Messages ?? []; if (!m.length) continue; await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: m.map((x, i) => ({ Id: 'd' + i, ReceiptHandle: x.ReceiptHandle })) })); deleted += m.length } }))
const t2 = performance.now(), c2 = broker.usage().cpuS
console.log({ send: N / (t1 - t0) * 1000, recv: N / (t2 - t1) * 1000, serverUsPerMsgSend: (c1 - c0) / N * 1e6, serverUsPerMsgRecv: (c2 - c1) / N * 1e6, client: process.cpuUsage() })
sqs.destroy(); await broker.stop()
