// With auth on, each SQS/SNS action needs what the hubq op it stands for needs (PROTOCOL.md §12
// "Auth"): the op's own rule from the routing table, asked of the names and receipts the action
// carries, through the one authorize() of the TCP protocol. An action not in this table is refused.
import { HubqError } from '../../shared/errors.js'
import { authorize } from '../auth/permissions.js'
import type { Principal } from '../auth/principal.js'
import { routes } from '../handlers/index.js'
import { nameOfArn } from './caller.js'
import type { Call } from './context.js'
import { AwsError } from './errors.js'
import type { Input } from './params.js'
import { nameOfUrl } from './sqs/queue.js'
import { receiptOf } from './sqs/receipt.js'
import { moveTaskQueue } from './sqs/move-tasks.js'

/** The hubq request an action amounts to, for its op's rule: `{queue}`, `{topic, queue}`, `{receipts}`. */
type Request = Record<string, unknown>

interface Need {
  /** The hubq op whose rule applies; several: any one of them suffices. */
  ops: readonly string[]
  request(input: Input, call: Call): Request
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
const queueOfUrl = (input: Input): Request => ({ queue: typeof input.QueueUrl === 'string' ? nameOfUrl(input.QueueUrl) : undefined })
const sqsArn = (value: unknown): string | undefined => (typeof value === 'string' ? nameOfArn(value, 'sqs') : undefined)
const snsArn = (value: unknown): string | undefined => (typeof value === 'string' ? nameOfArn(value, 'sns') : undefined)

/** The dead-letter queue a RedrivePolicy attribute names, if any. */
function deadLetterOf(attributes: unknown): string | undefined {
  if (typeof attributes !== 'object' || attributes === null) return undefined
  const policy = (attributes as Record<string, unknown>).RedrivePolicy
  if (typeof policy !== 'string' || policy === '') return undefined
  try {
    return sqsArn((JSON.parse(policy) as Record<string, unknown>).deadLetterTargetArn)
  } catch {
    return undefined
  }
}

/** The store receipts of the handles an action names; a handle that is not one is left to the action. */
function receipts(input: Input): Request {
  const queue = typeof input.QueueUrl === 'string' ? nameOfUrl(input.QueueUrl) : ''
  const handles = Array.isArray(input.Entries) ? input.Entries.map((e) => (e as Input | null)?.ReceiptHandle) : [input.ReceiptHandle]
  const out: string[] = []
  for (const handle of handles) {
    try {
      out.push(receiptOf(handle, queue))
    } catch {
      // ReceiptHandleIsInvalid is the action's own answer.
    }
  }
  return { receipts: out }
}

const op = (name: string, request: (input: Input, call: Call) => Request): Need => ({ ops: [name], request })
const onQueue = (name: string): Need => op(name, queueOfUrl)
/** Finding a queue by name tells it exists: any right on it will do (publish, consume or admin). */
const anyRight: Need = { ops: ['publish', 'receive', 'stats'], request: (input) => ({ queue: str(input.QueueName) }) }

export const SQS_NEEDS: Record<string, Need> = {
  CreateQueue: op('declare', (input) => ({ queue: str(input.QueueName), deadLetter: deadLetterOf(input.Attributes) })),
  SetQueueAttributes: op('declare', (input) => ({ ...queueOfUrl(input), deadLetter: deadLetterOf(input.Attributes) })),
  GetQueueUrl: anyRight,
  // Open: the answer lists only the queues the token has some right on (listQueues).
  ListQueues: op('ping', () => ({})),
  DeleteQueue: onQueue('drop'),
  PurgeQueue: onQueue('purge'),
  GetQueueAttributes: onQueue('stats'),
  ListDeadLetterSourceQueues: onQueue('stats'),
  ListQueueTags: onQueue('stats'),
  TagQueue: onQueue('declare'),
  UntagQueue: onQueue('declare'),
  SendMessage: onQueue('publish'),
  SendMessageBatch: onQueue('publish'),
  ReceiveMessage: onQueue('receive'),
  DeleteMessage: op('ack', receipts),
  DeleteMessageBatch: op('ack', receipts),
  ChangeMessageVisibility: op('touch', receipts),
  ChangeMessageVisibilityBatch: op('touch', receipts),
  StartMessageMoveTask: op('redrive', (input) => ({ queue: sqsArn(input.SourceArn) })),
  ListMessageMoveTasks: op('stats', (input) => ({ queue: sqsArn(input.SourceArn) })),
  CancelMessageMoveTask: op('redrive', (input) => ({ queue: typeof input.TaskHandle === 'string' ? moveTaskQueue(input.TaskHandle) : undefined })),
}

/** The topic and queue of a subscription the face keeps, by its ARN. */
function subscription(input: Input, call: Call): Request {
  const arn = str(input.SubscriptionArn)
  const meta = arn === undefined ? undefined : call.face.state.subscriptions.get(arn)
  return meta ? { topic: meta.topic, queue: meta.queue } : { topic: arn === undefined ? undefined : snsArn(arn.split(':').slice(0, -1).join(':')) }
}

const onTopic = (name: string): Need => op(name, (input) => ({ topic: snsArn(input.TopicArn) }))

export const SNS_NEEDS: Record<string, Need> = {
  CreateTopic: op('topic', (input) => ({ topic: str(input.Name) })),
  DeleteTopic: onTopic('topic'),
  GetTopicAttributes: onTopic('topic'),
  SetTopicAttributes: onTopic('topic'),
  ListTopics: op('ping', () => ({})),
  Publish: op('publish', (input) => ({ topic: snsArn(input.TopicArn) ?? snsArn(input.TargetArn) })),
  PublishBatch: onTopic('publish'),
  Subscribe: op('bind', (input) => ({ topic: snsArn(input.TopicArn), queue: sqsArn(input.Endpoint) })),
  Unsubscribe: op('unbind', subscription),
  GetSubscriptionAttributes: op('bind', subscription),
  SetSubscriptionAttributes: op('bind', subscription),
  ListSubscriptions: op('stats', () => ({})),
  ListSubscriptionsByTopic: onTopic('topic'),
  TagResource: op('topic', (input) => ({ topic: snsArn(input.ResourceArn) })),
  UntagResource: op('topic', (input) => ({ topic: snsArn(input.ResourceArn) })),
  ListTagsForResource: op('topic', (input) => ({ topic: snsArn(input.ResourceArn) })),
}

/** Throws AccessDenied unless `principal` may run `action` with `input`. */
export function authorizeAction(service: 'sqs' | 'sns', action: string, input: Input, call: Call, principal: Principal): void {
  const table = service === 'sqs' ? SQS_NEEDS : SNS_NEEDS
  const need = Object.hasOwn(table, action) ? table[action] : undefined
  if (!need) throw accessDenied(`${action} has no rule on this face, so no token may use it`)
  const request = need.request(input, call)
  let refusal: HubqError | undefined
  for (const name of need.ops) {
    refusal = authorize(principal, name, routes[name]?.rule, request, call.face.store)
    if (refusal === undefined) return
  }
  throw accessDenied(refusal?.message ?? `token ${principal.name} may not use ${action}`)
}

/** Whether `principal` has any right on queue `name` (what ListQueues shows it). */
export function seesQueue(principal: Principal, name: string): boolean {
  return principal.can('publish', name) || principal.can('consume', name) || principal.can('admin', name)
}

function accessDenied(message: string): AwsError {
  return new AwsError('AccessDenied', message, { status: 403 })
}
