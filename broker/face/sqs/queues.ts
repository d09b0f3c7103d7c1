// The SQS actions on queues themselves: create, find, list, delete, purge, attributes.
import type { Action } from '../context.js'
import { invalidParameterValue, queueAlreadyExists, queueDoesNotExist } from '../errors.js'
import { optInt, optString, reqString, stringList, stringMap } from '../params.js'
import { queueUrl } from '../caller.js'
import { checkAttributes, currentAttributes, declareInput, readAttributes } from './queue-attributes.js'
import { existingQueue, isFifoName, metaOf, queueStats, SQS_NAME } from './queue.js'
import { checkTags } from './tags.js'
import { seesQueue } from '../rights.js'

export const createQueue: Action = async (input, call) => {
  const name = reqString(input, 'QueueName')
  if (!SQS_NAME.test(name)) {
    throw invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (a FIFO queue\'s name ends with .fifo).')
  }
  const fifo = isFifoName(name)
  const given = stringMap(input, 'Attributes')
  if (fifo && given.FifoQueue === undefined) given.FifoQueue = 'true'
  const attributes = await checkAttributes(call.face, given, fifo, true)
  const tags = checkTags(stringMap(input, 'tags'))
  const { face } = call
  if (await queueStats(face, name)) {
    // Idempotent: the same attributes answer the same URL; a different value is QueueAlreadyExists.
    const current = currentAttributes(name, metaOf(face, name))
    for (const [k, v] of Object.entries(attributes)) {
      if ((current[k] ?? '') !== v) throw queueAlreadyExists(`A queue already exists with the same name and a different value for attribute ${k}`)
    }
    return { QueueUrl: queueUrl(call.caller, name) }
  }
  await face.store.declare(declareInput(name, attributes, fifo))
  const now = Math.floor(face.now() / 1000)
  delete attributes.FifoQueue
  face.state.queues.set(name, { attributes, tags, created: now, modified: now })
  await face.state.save()
  return { QueueUrl: queueUrl(call.caller, name) }
}

export const getQueueUrl: Action = async (input, call) => {
  const name = reqString(input, 'QueueName')
  if (!(await queueStats(call.face, name))) throw queueDoesNotExist()
  return { QueueUrl: queueUrl(call.caller, name) }
}

export const listQueues: Action = async (input, call) => {
  const prefix = optString(input, 'QueueNamePrefix') ?? ''
  const max = optInt(input, 'MaxResults', 1, 1000)
  const token = optString(input, 'NextToken')
  let after = ''
  if (token !== undefined && token !== '') {
    after = Buffer.from(token, 'base64url').toString('utf8')
    if (after === '') throw invalidParameterValue('Invalid NextToken.')
  }
  const { queues } = await call.face.store.stats()
  const { principal } = call
  const names = queues.map((q) => q.queue).filter((n) => n.startsWith(prefix) && n > after && (!principal || seesQueue(principal, n)))
  const page = names.slice(0, max ?? 1000)
  const out: Record<string, unknown> = {}
  if (page.length > 0) out.QueueUrls = page.map((n) => queueUrl(call.caller, n))
  if (max !== undefined && names.length > page.length) out.NextToken = Buffer.from(page[page.length - 1] as string).toString('base64url')
  return out
}

export const deleteQueue: Action = async (input, call) => {
  const { name } = await existingQueue(input, call)
  await call.face.store.drop(name)
  call.face.state.queues.delete(name)
  await call.face.state.save()
  return {}
}

export const purgeQueue: Action = async (input, call) => {
  const { name } = await existingQueue(input, call)
  await call.face.store.purge(name)
  return {}
}

export const getQueueAttributes: Action = async (input, call) => {
  const { name, stats, meta } = await existingQueue(input, call)
  const names = stringList(input, 'AttributeNames')
  const attributes = readAttributes(call.caller, name, meta, stats, names)
  return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}
}

export const setQueueAttributes: Action = async (input, call) => {
  const { name, meta } = await existingQueue(input, call)
  const attributes = await checkAttributes(call.face, stringMap(input, 'Attributes'), isFifoName(name), false)
  await call.face.store.declare(declareInput(name, attributes, undefined))
  Object.assign(meta.attributes, attributes)
  meta.modified = Math.floor(call.face.now() / 1000)
  await call.face.state.save()
  return {}
}

export const listDeadLetterSourceQueues: Action = async (input, call) => {
  const { name } = await existingQueue(input, call)
  const max = optInt(input, 'MaxResults', 1, 1000)
  const token = optString(input, 'NextToken')
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : ''
  const { queues } = await call.face.store.stats()
  const sources: string[] = []
  for (const q of queues) {
    if (q.queue <= after) continue
    const policy = call.face.state.queues.get(q.queue)?.attributes.RedrivePolicy
    if (!policy) continue
    const target = (JSON.parse(policy) as { deadLetterTargetArn: string }).deadLetterTargetArn
    if (target.split(':').pop() === name) sources.push(q.queue)
  }
  const page = sources.slice(0, max ?? 1000)
  const out: Record<string, unknown> = { queueUrls: page.map((n) => queueUrl(call.caller, n)) }
  if (max !== undefined && sources.length > page.length) out.NextToken = Buffer.from(page[page.length - 1] as string).toString('base64url')
  return out
}
