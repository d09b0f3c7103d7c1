// The SQS face with auth on (PROTOCOL.md §12 "Auth"): requests signed with SigV4 by a token's name
// (access key id) and the token (secret), both forms (Authorization header, presigned query), the
// clock-skew limit, AWS's error codes in the JSON and query shapes, and the tokens' per-queue rights.
import t from 'tap'
import { createHash, createHmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'
import {
  CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, GetQueueUrlCommand, ListQueuesCommand, PurgeQueueCommand,
  ReceiveMessageCommand, SendMessageCommand, SQSClient, StartMessageMoveTaskCommand, type SQSClientConfig,
} from '@aws-sdk/client-sqs'
import { startFaceBroker, type FaceBroker } from './helpers.js'
import { authFrom } from '../hardening/helpers.js'
import { TokenTable } from '../../broker/auth/tokens.js'
import { ALL_POWERFUL } from '../../broker/auth/principal.js'
import { PRE_AUTH_MAX_FRAME } from '../../broker/auth/settings.js'

const ADMIN = 'admin-secret-1'
const AUTH = authFrom({
  tokens: [
    { name: 'admin', token: ADMIN, publish: ['*'], consume: ['*'], admin: ['*'] },
    { name: 'producer', token: 'producer-secret', publish: ['jobs'] },
    { name: 'worker', token: 'worker-secret', consume: ['jobs'] },
    { name: 'hashed', sha256: createHash('sha256').update('hashed-secret').digest('hex'), publish: ['*'] },
  ],
})

/** node:crypto as the signer's hash (the SDK's own is not a direct dependency). */
class Sha256 {
  private readonly hash
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data))
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest())
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
}

function client(t: { teardown(fn: () => unknown): void }, b: FaceBroker, accessKeyId: string, secretAccessKey: string, more: Partial<SQSClientConfig> = {}): SQSClient {
  const sqs = new SQSClient({ endpoint: b.endpoint, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId, secretAccessKey }, ...more })
  t.teardown(() => sqs.destroy())
  return sqs
}

function signer(accessKeyId: string, secretAccessKey: string): SignatureV4 {
  return new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: 'eu-west-1', service: 'sqs', sha256: Sha256 })
}

/** A request as the signer sees it, for the face's port. */
function httpRequest(b: FaceBroker, method: string, path: string, query: Record<string, string>, headers: Record<string, string>, body?: string) {
  return { method, protocol: 'http:', hostname: '127.0.0.1', port: b.sqsPort, path, query, headers: { host: `127.0.0.1:${b.sqsPort}`, ...headers }, ...(body !== undefined ? { body } : {}) }
}

function urlOf(b: FaceBroker, path: string, query: Record<string, string | string[] | null> | undefined): string {
  const search = Object.entries(query ?? {}).map(([k, v]) => `${encode(k)}=${encode(String(v))}`).join('&')
  return `${b.endpoint}${path}${search ? `?${search}` : ''}`
}

const encode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

t.test('the SDK signed with a token name and its token works; every action of a worker', async (t) => {
  const b = await startFaceBroker(t, { auth: AUTH })
  const sqs = client(t, b, 'admin', ADMIN)
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs' }))
  t.equal(QueueUrl, `${b.endpoint}/000000000000/jobs`)
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }))
  t.ok(sent.MessageId)
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }))
  t.equal(got.Messages?.[0]?.Body, 'hello')
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: got.Messages?.[0]?.ReceiptHandle }))
})

t.test('a wrong secret is SignatureDoesNotMatch; an unknown key, or one given only by sha256, InvalidClientTokenId', async (t) => {
  const b = await startFaceBroker(t, { auth: AUTH })
  const wrong = await client(t, b, 'admin', 'not-the-secret').send(new ListQueuesCommand({})).catch((e: unknown) => e)
  t.match(wrong, { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } })
  const unknown = await client(t, b, 'nobody', ADMIN).send(new ListQueuesCommand({})).catch((e: unknown) => e)
  t.match(unknown, { name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } })
  const hashed = await client(t, b, 'hashed', 'hashed-secret').send(new ListQueuesCommand({})).catch((e: unknown) => e)
  t.match(hashed, { name: 'InvalidClientTokenId' }, 'the broker cannot check a signature without the secret')
  t.same(await client(t, b, 'admin', ADMIN).send(new ListQueuesCommand({})).then((r) => r.QueueUrls ?? []), [], 'the right secret still works')
})

t.test('unsigned and malformed requests get AWS errors in the JSON and the query shapes', async (t) => {
  const b = await startFaceBroker(t, { auth: AUTH })
  const json = await fetch(b.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' }, body: '{}' })
  t.equal(json.status, 403)
  t.equal(json.headers.get('x-amzn-query-error'), 'MissingAuthenticationToken;Sender')
  t.match(await json.json(), { __type: /#MissingAuthenticationToken$/ })

  const query = await fetch(b.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues&Version=2012-11-05' })
  t.equal(query.status, 403)
  const xml = await query.text()
  t.match(xml, /<ErrorResponse[^>]*>.*<Code>MissingAuthenticationToken<\/Code>/s)

  const incomplete = await fetch(b.endpoint, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=admin/20250101/us-east-1/sqs/aws4_request', 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues' })
  t.equal(incomplete.status, 400)
  t.match(await incomplete.text(), /<Code>IncompleteSignature<\/Code>/)

  // A form request signed with a wrong secret: the query protocol's SignatureDoesNotMatch.
  const body = 'Action=ListQueues&Version=2012-11-05'
  const signed = await signer('admin', 'wrong').sign(httpRequest(b, 'POST', '/', {}, { 'content-type': 'application/x-www-form-urlencoded' }, body))
  const bad = await fetch(b.endpoint, { method: 'POST', headers: signed.headers, body })
  t.equal(bad.status, 403)
  t.match(await bad.text(), /<Code>SignatureDoesNotMatch<\/Code>/)
  const good = await signer('admin', ADMIN).sign(httpRequest(b, 'POST', '/', {}, { 'content-type': 'application/x-www-form-urlencoded' }, body))
  const ok = await fetch(b.endpoint, { method: 'POST', headers: good.headers, body })
  t.equal(ok.status, 200, 'the same request with the right secret')
  t.match(await ok.text(), /<ListQueuesResponse/)

  // The body is signed: the same headers with another body do not match.
  const tampered = await fetch(b.endpoint, { method: 'POST', headers: good.headers, body: 'Action=ListQueues&Version=2012-11-05&QueueNamePrefix=x' })
  t.equal(tampered.status, 403)
  t.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/)
})

t.test('a token without the right on a queue gets AccessDenied; ListQueues shows what it may touch', async (t) => {
  const b = await startFaceBroker(t, { auth: AUTH })
  const admin = client(t, b, 'admin', ADMIN)
  const { QueueUrl } = await admin.send(new CreateQueueCommand({ QueueName: 'jobs' }))
  const other = (await admin.send(new CreateQueueCommand({ QueueName: 'other' }))).QueueUrl
  const producer = client(t, b, 'producer', 'producer-secret')
  const worker = client(t, b, 'worker', 'worker-secret')

  await producer.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }))
  t.match(await producer.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'no' })).catch((e: unknown) => e), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })
  t.match(await producer.send(new ReceiveMessageCommand({ QueueUrl })).catch((e: unknown) => e), { name: 'AccessDenied' }, 'publish is not consume')
  t.match(await producer.send(new CreateQueueCommand({ QueueName: 'new' })).catch((e: unknown) => e), { name: 'AccessDenied' }, 'CreateQueue needs admin, as declare')
  t.match(await worker.send(new PurgeQueueCommand({ QueueUrl })).catch((e: unknown) => e), { name: 'AccessDenied' }, 'PurgeQueue needs admin, as purge')
  t.match(await worker.send(new DeleteQueueCommand({ QueueUrl })).catch((e: unknown) => e), { name: 'AccessDenied' })
  t.match(await worker.send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:eu-west-1:000000000000:jobs' })).catch((e: unknown) => e), { name: 'AccessDenied' }, 'a move task needs admin, as redrive')
  t.match(await worker.send(new SendMessageCommand({ QueueUrl, MessageBody: 'no' })).catch((e: unknown) => e), { name: 'AccessDenied' })
  t.equal((await worker.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl, QueueUrl, 'any right on a queue finds its URL')
  t.match(await worker.send(new GetQueueUrlCommand({ QueueName: 'other' })).catch((e: unknown) => e), { name: 'AccessDenied' })
  t.same((await worker.send(new ListQueuesCommand({}))).QueueUrls, [QueueUrl], 'ListQueues lists only the queues the token has a right on')

  const got = await worker.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 30 }))
  t.equal(got.Messages?.[0]?.Body, 'one')
  const handle = got.Messages?.[0]?.ReceiptHandle
  t.match(await producer.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: handle })).catch((e: unknown) => e), { name: 'AccessDenied' }, 'DeleteMessage needs consume on the receipt\'s queue, as ack')
  await worker.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: handle }))
})

t.test('a presigned GET URL works until it expires; a changed parameter breaks it', async (t) => {
  const b = await startFaceBroker(t, { auth: AUTH })
  const admin = client(t, b, 'admin', ADMIN)
  const { QueueUrl } = await admin.send(new CreateQueueCommand({ QueueName: 'jobs' }))
  const path = '/000000000000/jobs'
  const query = { Action: 'SendMessage', MessageBody: 'by url', Version: '2012-11-05' }
  const presigned = await signer('producer', 'producer-secret').presign(httpRequest(b, 'GET', path, query, {}), { expiresIn: 300 })
  const res = await fetch(urlOf(b, path, presigned.query))
  t.equal(res.status, 200)
  t.match(await res.text(), /<SendMessageResponse.*<MessageId>/s)
  const got = await admin.send(new ReceiveMessageCommand({ QueueUrl }))
  t.equal(got.Messages?.[0]?.Body, 'by url')

  const changed = await fetch(urlOf(b, path, { ...presigned.query, MessageBody: 'other' }))
  t.equal(changed.status, 403)
  t.match(await changed.text(), /<Code>SignatureDoesNotMatch<\/Code>/)

  const old = await signer('producer', 'producer-secret').presign(httpRequest(b, 'GET', path, query, {}), { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) })
  const expired = await fetch(urlOf(b, path, old.query))
  t.equal(expired.status, 400)
  t.match(await expired.text(), /<Code>RequestExpired<\/Code>/)

  const rights = await signer('worker', 'worker-secret').presign(httpRequest(b, 'GET', path, query, {}), { expiresIn: 300 })
  const denied = await fetch(urlOf(b, path, rights.query))
  t.equal(denied.status, 403)
  t.match(await denied.text(), /<Code>AccessDenied<\/Code>/)
})

t.test('a signature more than 15 minutes from the broker\'s clock is RequestExpired; 10 minutes is fine', async (t) => {
  const b = await startFaceBroker(t, { auth: AUTH })
  const late = client(t, b, 'admin', ADMIN, { systemClockOffset: -16 * 60_000 })
  t.match(await late.send(new ListQueuesCommand({})).catch((e: unknown) => e), { name: 'RequestExpired', $metadata: { httpStatusCode: 400 } })
  const early = client(t, b, 'admin', ADMIN, { systemClockOffset: 16 * 60_000 })
  t.match(await early.send(new ListQueuesCommand({})).catch((e: unknown) => e), { name: 'RequestExpired' })
  const near = client(t, b, 'admin', ADMIN, { systemClockOffset: -10 * 60_000 })
  t.ok(await near.send(new ListQueuesCommand({})))
  const ahead = client(t, b, 'admin', ADMIN, { systemClockOffset: 10 * 60_000 })
  t.ok(await ahead.send(new ListQueuesCommand({})))
})

t.test('--token T: the access key id is hubq and the token its secret', async (t) => {
  const b = await startFaceBroker(t, { auth: { tokens: TokenTable.single('one-token-1', ALL_POWERFUL), helloTimeoutMs: 10_000, preAuthMaxFrame: PRE_AUTH_MAX_FRAME } })
  const { QueueUrl } = await client(t, b, 'hubq', 'one-token-1').send(new CreateQueueCommand({ QueueName: 'q' }))
  t.ok(QueueUrl)
  t.match(await client(t, b, 'token', 'one-token-1').send(new ListQueuesCommand({})).catch((e: unknown) => e), { name: 'InvalidClientTokenId' })
})

t.test('without auth any signature is accepted, as emulators do', async (t) => {
  const b = await startFaceBroker(t)
  const { QueueUrl } = await client(t, b, 'anyone', 'anything').send(new CreateQueueCommand({ QueueName: 'q' }))
  t.ok(QueueUrl)
  const unsigned = await fetch(b.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues&Version=2012-11-05' })
  t.equal(unsigned.status, 200)
})
