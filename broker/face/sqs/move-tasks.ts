// StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask (PROTOCOL.md §12.5): a move
// task is hubq's `redrive` of the dead-letter queue (§4.15), which puts every message back on the
// queue it died in, in one step. So a task has finished by the time StartMessageMoveTask answers:
// it is listed COMPLETED (or FAILED) with the count moved, and there is never one to cancel.
import { randomUUID } from 'node:crypto'
import { arn, nameOfArn } from '../caller.js'
import { memo, type Action, type Call } from '../context.js'
import { invalidParameterValue, resourceNotFound } from '../errors.js'
import { optInt, optString, reqString, type Output } from '../params.js'
import { queueStats } from './queue.js'

/** Tasks remembered per dead-letter queue, newest first: AWS lists the last ten. */
const KEPT = 10

interface MoveTask {
  id: string
  status: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED'
  sourceArn: string
  destinationArn?: string
  maxPerSecond?: number
  moved: number
  toMove: number
  started: number
  failure?: string
}

function tasks(call: Call): Map<string, MoveTask[]> {
  return memo(call.face, 'move-tasks', () => new Map<string, MoveTask[]>())
}

/** The dead-letter queue a task handle names (undefined for a handle that is not one). */
export function moveTaskQueue(handle: string): string | undefined {
  const text = Buffer.from(handle, 'base64url').toString('utf8')
  const cut = text.indexOf('\n')
  return cut > 0 ? text.slice(0, cut) : undefined
}

function handleOf(queue: string, id: string): string {
  return Buffer.from(`${queue}\n${id}`, 'utf8').toString('base64url')
}

/** The queue an ARN of this face names, which must exist (ResourceNotFoundException, as AWS). */
async function queueOfArn(call: Call, value: string, parameter: string): Promise<string> {
  const name = nameOfArn(value, 'sqs')
  if (name === undefined) throw invalidParameterValue(`Value ${value} for parameter ${parameter} is invalid. Reason: not an SQS queue ARN.`)
  if (!(await queueStats(call.face, name))) throw resourceNotFound(`The resource ${value} does not exist.`)
  return name
}

/** The queues whose dead-letter queue is `name`, by the store's own settings. */
async function sourcesOf(call: Call, name: string): Promise<string[]> {
  const { queues } = await call.face.store.stats()
  const sources: string[] = []
  for (const q of queues) {
    const inspection = await call.face.store.inspect(q.queue)
    if (inspection.config.deadLetter === name) sources.push(q.queue)
  }
  return sources
}

export const startMessageMoveTask: Action = async (input, call) => {
  const sourceArn = reqString(input, 'SourceArn')
  const queue = await queueOfArn(call, sourceArn, 'SourceArn')
  const sources = await sourcesOf(call, queue)
  if (sources.length === 0) throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.')
  const destinationArn = optString(input, 'DestinationArn')
  if (destinationArn !== undefined && destinationArn !== '') {
    // hubq's redrive puts each message back where it died: a destination must be one of those.
    const destination = await queueOfArn(call, destinationArn, 'DestinationArn')
    if (!sources.includes(destination)) {
      throw invalidParameterValue(`Value ${destinationArn} for parameter DestinationArn is invalid. Reason: hubq moves messages back to the queues they were dead-lettered from; this queue does not dead-letter into ${queue}.`)
    }
  }
  const maxPerSecond = optInt(input, 'MaxNumberOfMessagesPerSecond', 1, 500)
  const list = tasks(call).get(queue) ?? []
  if (list.some((t) => t.status === 'RUNNING')) throw invalidParameterValue('There is already a task running. Only one active task is allowed for each source queue.')
  const task: MoveTask = { id: randomUUID(), status: 'RUNNING', sourceArn, moved: 0, toMove: 0, started: call.face.now() }
  if (destinationArn) task.destinationArn = destinationArn
  if (maxPerSecond !== undefined) task.maxPerSecond = maxPerSecond
  list.unshift(task)
  list.splice(KEPT)
  tasks(call).set(queue, list)
  try {
    const moved = await call.face.store.redrive(queue)
    task.moved = moved
    task.toMove = moved
    task.status = 'COMPLETED'
  } catch (err) {
    task.status = 'FAILED'
    task.failure = err instanceof Error ? err.message : String(err)
    throw err
  }
  return { TaskHandle: handleOf(queue, task.id) }
}

export const listMessageMoveTasks: Action = async (input, call) => {
  const sourceArn = reqString(input, 'SourceArn')
  const queue = await queueOfArn(call, sourceArn, 'SourceArn')
  const max = optInt(input, 'MaxResults', 1, 10) ?? 1
  const list = (tasks(call).get(queue) ?? []).slice(0, max)
  return { Results: list.map((t) => entryOf(queue, t, call)) }
}

export const cancelMessageMoveTask: Action = async (input, call) => {
  const handle = reqString(input, 'TaskHandle')
  const queue = moveTaskQueue(handle)
  const id = Buffer.from(handle, 'base64url').toString('utf8').split('\n')[1]
  const task = queue === undefined ? undefined : tasks(call).get(queue)?.find((t) => t.id === id)
  if (!task) throw resourceNotFound('Task does not exist.')
  // Every task has finished by the time its handle is known: there is nothing left to stop.
  if (task.status !== 'RUNNING') throw resourceNotFound(`Only a running task can be cancelled; this one is ${task.status}.`)
  task.status = 'CANCELLED'
  return { ApproximateNumberOfMessagesMoved: task.moved }
}

function entryOf(queue: string, task: MoveTask, call: Call): Output {
  const entry: Output = {
    Status: task.status,
    SourceArn: task.sourceArn || arn(call.caller, 'sqs', queue),
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.toMove,
    StartedTimestamp: task.started,
  }
  if (task.status === 'RUNNING') entry.TaskHandle = handleOf(queue, task.id)
  if (task.destinationArn !== undefined) entry.DestinationArn = task.destinationArn
  if (task.maxPerSecond !== undefined) entry.MaxNumberOfMessagesPerSecond = task.maxPerSecond
  if (task.failure !== undefined) entry.FailureReason = task.failure
  return entry
}
