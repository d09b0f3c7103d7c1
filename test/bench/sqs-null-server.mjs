// `node test/bench/sqs-null-server.mjs` prints its port, then answers the four SQS actions of
// `npm run bench:sqs` (AWS JSON 1.0) with as little work as a valid answer takes: no queue, no
// storage, messages made up on demand. Run as a child process beside the bench's client, it
// shows that client's own ceiling on this machine (`npm run bench:sqs -- --only null`).
import { createHash, randomUUID } from 'node:crypto'
import http from 'node:http'

const md5 = (s) => createHash('md5').update(s).digest('hex')
const size = Number(process.argv[2] ?? 128)
const body = 'x'.repeat(size)
const bodyMd5 = md5(body)

const answers = {
  CreateQueue: (input) => ({ QueueUrl: `http://127.0.0.1/000000000000/${input.QueueName}` }),
  SendMessageBatch: (input) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody) })),
    Failed: [],
  }),
  ReceiveMessage: (input) => ({
    Messages: Array.from({ length: input.MaxNumberOfMessages ?? 1 }, () => ({ MessageId: randomUUID(), ReceiptHandle: randomUUID(), Body: body, MD5OfBody: bodyMd5 })),
  }),
  DeleteMessageBatch: (input) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] }),
}

const server = http.createServer((request, response) => {
  const chunks = []
  request.on('data', (c) => chunks.push(c))
  request.on('end', () => {
    const action = String(request.headers['x-amz-target']).replace('AmazonSQS.', '')
    const answer = answers[action]
    const out = answer ? JSON.stringify(answer(JSON.parse(Buffer.concat(chunks).toString('utf8')))) : '{}'
    response.writeHead(answer ? 200 : 400, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(out) })
    response.end(out)
  })
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
