// SQS queue attributes: which can be set, their ranges and defaults, how they map onto a hubq
// queue's settings (VisibilityTimeout, DelaySeconds, MessageRetentionPeriod, RedrivePolicy,
// FifoQueue), and how GetQueueAttributes reads them (PROTOCOL.md §12 "Queue attributes").
import type { QueueStats } from '../../../shared/protocol/types.js'
import type { DeclareInput } from '../../store/types.js'
import { arn, nameOfArn, type Caller } from '../caller.js'
import type { Face } from '../context.js'
import { invalidAttributeName, invalidAttributeValue } from '../errors.js'
import type { QueueMeta } from '../state.js'
import { isFifoName, queueStats } from './queue.js'

const RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 262_144],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
}

export const DEFAULTS: Record<string, string> = {
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'false',
}
const FIFO_DEFAULTS: Record<string, string> = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
}
const PASSED = new Set(['Policy', 'KmsMasterKeyId', 'RedriveAllowPolicy', 'SqsManagedSseEnabled', 'RedrivePolicy'])
const FIFO_ONLY = new Set(['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'])
const COMPUTED = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed', 'CreatedTimestamp', 'LastModifiedTimestamp', 'QueueArn']
export const READABLE = new Set([...COMPUTED, ...Object.keys(RANGES), ...PASSED, ...FIFO_ONLY, 'FifoQueue'])

/** Validated attributes, each as SQS echoes it back. `creating`: FifoQueue may be given. */
export async function checkAttributes(face: Face, given: Record<string, string>, fifo: boolean, creating: boolean): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(given)) {
    if (Object.hasOwn(RANGES, name)) {
      const [min, max] = RANGES[name] as [number, number]
      const n = Number(value)
      if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw invalidAttributeValue(`Invalid value for the parameter ${name}: must be an integer between ${min} and ${max}.`)
      out[name] = String(n)
    } else if (name === 'FifoQueue') {
      if (!creating) throw invalidAttributeName(`Invalid attribute name FifoQueue: it cannot change once the queue exists.`)
      if (value !== 'true' && value !== 'false') throw invalidAttributeValue('Invalid value for the parameter FifoQueue.')
      if ((value === 'true') !== fifo) throw invalidAttributeValue(value === 'true' ? 'The name of a FIFO queue must end with the .fifo suffix.' : 'Only a FIFO queue name may end with .fifo.')
      if (value === 'true') out[name] = value
    } else if (FIFO_ONLY.has(name)) {
      if (!fifo) throw invalidAttributeName(`Unknown Attribute ${name}.`)
      const allowed = name === 'ContentBasedDeduplication' ? ['true', 'false'] : name === 'DeduplicationScope' ? ['queue', 'messageGroup'] : ['perQueue', 'perMessageGroupId']
      if (!allowed.includes(value)) throw invalidAttributeValue(`Invalid value for the parameter ${name}.`)
      out[name] = value
    } else if (name === 'RedrivePolicy') {
      out[name] = value === '' ? '' : await checkRedrivePolicy(face, value, fifo)
    } else if (name === 'RedriveAllowPolicy') {
      out[name] = value === '' ? '' : checkJson(name, value)
    } else if (PASSED.has(name)) {
      out[name] = value
    } else {
      throw invalidAttributeName(`Unknown Attribute ${name}.`)
    }
  }
  return out
}

function checkJson(name: string, value: string): string {
  try {
    const parsed: unknown = JSON.parse(value)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
  } catch {
    throw invalidAttributeValue(`Value ${value} for parameter ${name} is invalid. Reason: Invalid JSON.`)
  }
  return value
}

async function checkRedrivePolicy(face: Face, value: string, fifo: boolean): Promise<string> {
  const policy = JSON.parse(checkJson('RedrivePolicy', value)) as Record<string, unknown>
  const target = policy.deadLetterTargetArn
  const count = Number(policy.maxReceiveCount)
  const invalid = (reason: string): Error => invalidAttributeValue(`Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`)
  if (typeof target !== 'string' || nameOfArn(target, 'sqs') === undefined) throw invalid('Redrive policy does not contain a valid deadLetterTargetArn.')
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw invalid('Invalid value for maxReceiveCount: must be an integer between 1 and 1000.')
  const dead = nameOfArn(target, 'sqs') as string
  if (!(await queueStats(face, dead))) throw invalid('Dead letter target does not exist.')
  if (isFifoName(dead) !== fifo) throw invalid('Dead-letter queue must be the same type of queue as the source.')
  return JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: count })
}

/** The hubq settings the attributes carry. */
export function declareInput(queue: string, attributes: Record<string, string>, fifo: boolean | undefined): DeclareInput {
  const input: DeclareInput = { queue }
  if (fifo !== undefined) input.fifo = fifo
  if (attributes.VisibilityTimeout !== undefined) input.visibilityTimeout = Number(attributes.VisibilityTimeout)
  if (attributes.DelaySeconds !== undefined) input.delay = Number(attributes.DelaySeconds)
  if (attributes.MessageRetentionPeriod !== undefined) input.retention = Number(attributes.MessageRetentionPeriod)
  if (attributes.RedrivePolicy !== undefined) {
    if (attributes.RedrivePolicy === '') {
      input.maxReceives = 0
    } else {
      const policy = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number }
      input.maxReceives = policy.maxReceiveCount
      input.deadLetter = nameOfArn(policy.deadLetterTargetArn, 'sqs') as string
    }
  }
  return input
}

/** The value each attribute has now: as set, else its default. */
export function currentAttributes(name: string, meta: QueueMeta): Record<string, string> {
  const out = { ...DEFAULTS, ...(isFifoName(name) ? FIFO_DEFAULTS : {}) }
  for (const [k, v] of Object.entries(meta.attributes)) {
    if (v === '') delete out[k]
    else out[k] = v
  }
  return out
}

/** GetQueueAttributes: the names asked for (`All` for every one), read now. */
export function readAttributes(caller: Caller, name: string, meta: QueueMeta, stats: QueueStats, names: string[]): Record<string, string> {
  for (const n of names) if (n !== 'All' && !READABLE.has(n)) throw invalidAttributeName(`Unknown Attribute ${n}.`)
  const all = names.includes('All')
  const values: Record<string, string> = {
    ...currentAttributes(name, meta),
    ApproximateNumberOfMessages: String(stats.ready),
    ApproximateNumberOfMessagesNotVisible: String(stats.inflight),
    ApproximateNumberOfMessagesDelayed: String(stats.delayed),
    CreatedTimestamp: String(meta.created),
    LastModifiedTimestamp: String(meta.modified),
    QueueArn: arn(caller, 'sqs', name),
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(values)) if (all || names.includes(k)) out[k] = v
  return out
}
