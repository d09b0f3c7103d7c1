// The SQS/SNS face (PROTOCOL.md §12): one HTTP port serving SQS over AWS JSON 1.0 and over the
// query protocol, and SNS over its query protocol, all on the broker's own MessageStore.
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Limits } from '../../shared/protocol/requests.js'
import { silentLogger, type Logger } from '../../shared/logger.js'
import type { MessageStore } from '../store/types.js'
import { callerOf, type Caller } from './caller.js'
import type { Action, Call, Face } from './context.js'
import { AwsError, invalidAction, malformed, requestTooLarge, toAwsError } from './errors.js'
import type { Input, Output } from './params.js'
import { readForm } from './query.js'
import { FaceState } from './state.js'
import { dropHiddenTopics } from './sns/topic.js'
import { xmlErrorResponse, xmlResponse } from './xml.js'
import type { TokenTable } from '../auth/tokens.js'
import { authorizeAction } from './rights.js'
import { SigningKeyCache, verifySignature } from './sigv4.js'
import { sqsAction } from './sqs/actions.js'
import { decodeJson, encodeJson, JSON_TYPE, jsonError } from './sqs/json.js'
import { SQS_NAMESPACE, sqsQueryInput, sqsXml } from './sqs/query.js'
import { SNS_NAMESPACE, snsAction, snsQueryInput, snsXml } from './sns/protocol.js'

export interface FaceOptions {
  store: MessageStore
  limits: Limits
  port: number
  host?: string
  log?: Logger
  /** The face's state file (`sqs-face.json` in the data folder); none: in memory only. */
  stateFile?: string
  /** Auth on: requests must be signed with a token's SigV4 secret, and need its rights. */
  tokens?: TokenTable
  /** The clock signatures are checked against (ms since the epoch). */
  now?: () => number
}

export interface FaceServer {
  host: string
  port: number
  /** Long polls waiting now (ReceiveMessage with a wait and nothing to take yet). */
  readonly polls: number
  /** Ends long polls, stops listening, closes idle connections. */
  close(): Promise<void>
}

/** Largest request body read; anything larger is refused before it is buffered. */
export function maxRequestBytes(limits: Limits): number {
  return Math.max(2 * 1024 * 1024, 8 * limits.maxMessage)
}

export async function startFace(options: FaceOptions): Promise<FaceServer> {
  const log = options.log ?? silentLogger
  const closing = new AbortController()
  const now = options.now ?? Date.now
  const face: Face = {
    store: options.store,
    state: await FaceState.load(options.stateFile),
    limits: options.limits,
    log,
    owner: { id: -1 },
    memo: new Map(),
    polls: 0,
    now,
    ...(options.tokens ? { tokens: options.tokens } : {}),
  }
  await dropHiddenTopics(face)
  const keys = new SigningKeyCache()
  const maxBody = maxRequestBytes(options.limits)
  const server = http.createServer((request, response) => {
    serve(face, request, response, maxBody, closing.signal, now, keys).catch((err: unknown) => {
      log.error({ err }, 'sqs face request failed')
      if (!response.headersSent) response.writeHead(500).end()
      else response.destroy()
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (err) => log.error({ err }, 'sqs face server error'))
  const address = server.address() as AddressInfo
  return {
    host: address.address,
    port: address.port,
    get polls() {
      return face.polls
    },
    close: async () => {
      closing.abort()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
    },
  }
}

type Protocol = 'sqs-json' | 'sqs-query' | 'sns-query'

async function serve(face: Face, request: http.IncomingMessage, response: http.ServerResponse, maxBody: number, closing: AbortSignal, now: () => number, keys: SigningKeyCache): Promise<void> {
  const requestId = randomUUID()
  const url = new URL(request.url ?? '/', 'http://localhost')
  const caller = callerOf(request, url.searchParams)
  const target = request.headers['x-amz-target']
  let protocol: Protocol = typeof target === 'string' ? 'sqs-json' : 'sqs-query'
  try {
    if (request.method !== 'POST' && request.method !== 'GET') throw new AwsError('MethodNotAllowed', `${request.method} is not allowed; use POST.`, { status: 405 })
    const body = await readBody(request, maxBody)
    let action: string
    let input: Input
    let params: URLSearchParams | undefined
    if (protocol !== 'sqs-json') {
      params = new URLSearchParams(url.search)
      if (body.length > 0) for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v)
      if (request.method === 'GET' && !params.has('Action')) return sendText(response, 200, 'application/json', JSON.stringify({ service: 'hubq sqs/sns face' }), requestId)
      if (isSns(params, caller, params.get('Action') ?? '')) protocol = 'sns-query'
    }
    // Auth on: the signature first, before anything of the request is believed.
    const principal = face.tokens ? verifySignature({ method: request.method, url: request.url ?? '/', rawHeaders: request.rawHeaders, body }, (id) => face.tokens?.signingSecret(id), now(), keys).principal : undefined
    if (protocol === 'sqs-json' || params === undefined) {
      const name = String(target)
      if (!name.startsWith('AmazonSQS.')) throw new AwsError('UnknownOperationException', `Unknown target ${name}.`, { queryCode: 'InvalidAction' })
      action = name.slice('AmazonSQS.'.length)
      input = decodeJson(body)
    } else {
      action = params.get('Action') ?? ''
      if (action === '') throw new AwsError('MissingAction', 'The request must contain the parameter Action.')
      // The query protocol may name the queue by the request's path (`POST /ACCOUNT/NAME`), as SQS allows.
      if (protocol === 'sqs-query' && !params.has('QueueUrl') && /^\/[^/]+\/[^/]+$/.test(url.pathname)) params.set('QueueUrl', caller.origin + url.pathname)
      const form = readForm(params)
      input = protocol === 'sns-query' ? snsQueryInput(form) : sqsQueryInput(action, form)
    }
    const run = protocol === 'sns-query' ? snsAction(action) : sqsAction(action)
    if (!run) throw protocol === 'sqs-json' ? new AwsError('UnknownOperationException', `Unknown operation ${action}.`, { queryCode: 'InvalidAction' }) : invalidAction(action)
    const call: Call = { face, caller, signal: requestSignal(response, closing), ...(principal ? { principal } : {}) }
    if (principal) authorizeAction(protocol === 'sns-query' ? 'sns' : 'sqs', action, input, call, principal)
    const output = await runAction(run, input, call)
    // Stopping: the answer is the connection's last, so close() does not wait out keep-alive.
    if (closing.aborted) response.setHeader('connection', 'close')
    if (protocol === 'sqs-json') return sendText(response, 200, JSON_TYPE, encodeJson(output), requestId)
    const xml = protocol === 'sns-query' ? xmlResponse(SNS_NAMESPACE, action, snsXml(output), requestId) : xmlResponse(SQS_NAMESPACE, action, sqsXml(action, output), requestId)
    return sendText(response, 200, 'text/xml', xml, requestId)
  } catch (err) {
    const error = toAwsError(err)
    if (error.status >= 500) face.log.error({ err, requestId }, `sqs face: ${error.message}`)
    if (error.code === 'RequestEntityTooLarge' || closing.aborted) response.setHeader('connection', 'close')
    if (protocol === 'sqs-json') {
      const { headers, body } = jsonError(error)
      for (const [k, v] of Object.entries(headers)) response.setHeader(k, v)
      return sendText(response, error.status, JSON_TYPE, body, requestId)
    }
    const namespace = protocol === 'sns-query' ? SNS_NAMESPACE : SQS_NAMESPACE
    return sendText(response, error.status, 'text/xml', xmlErrorResponse(namespace, error.fault, error.queryCode, error.message, requestId), requestId)
  }
}

function runAction(action: Action, input: Input, call: Call): Promise<Output> {
  return action(input, call)
}

const SNS_HINTS = new Set(['CreateTopic', 'DeleteTopic', 'ListTopics', 'Publish', 'PublishBatch', 'Subscribe', 'Unsubscribe', 'ListSubscriptions', 'ListSubscriptionsByTopic', 'GetTopicAttributes', 'SetTopicAttributes', 'GetSubscriptionAttributes', 'SetSubscriptionAttributes', 'TagResource', 'UntagResource', 'ListTagsForResource', 'ConfirmSubscription'])

function isSns(params: URLSearchParams, caller: Caller, action: string): boolean {
  const version = params.get('Version')
  if (version === '2010-03-31') return true
  if (version === '2012-11-05') return false
  if (caller.service === 'sns') return true
  if (caller.service === 'sqs') return false
  return SNS_HINTS.has(action)
}

/** Aborted when the client goes away before its answer, or when the face stops. */
function requestSignal(response: http.ServerResponse, closing: AbortSignal): AbortSignal {
  const gone = new AbortController()
  response.once('close', () => {
    if (!response.writableFinished) gone.abort()
  })
  return AbortSignal.any([gone.signal, closing])
}

function readBody(request: http.IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0)
  if (declared > max) {
    request.resume()
    return Promise.reject(requestTooLarge(max))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        request.removeAllListeners('data')
        request.resume()
        reject(requestTooLarge(max))
        return
      }
      chunks.push(chunk)
    })
    request.once('end', () => resolve(Buffer.concat(chunks)))
    request.once('error', (err) => reject(malformed(err.message)))
  })
}

function sendText(response: http.ServerResponse, status: number, type: string, body: string, requestId: string): void {
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  })
  response.end(body)
}
