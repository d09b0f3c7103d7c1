// DeleteMessage(Batch) and ChangeMessageVisibility(Batch): hubq's ack and touch by receipt.
// As on SQS, deleting with a handle whose message was already deleted or whose visibility
// timeout ran out succeeds and changes nothing; changing the visibility of one is an error.
import { HubqError } from '../../../shared/errors.js'
import type { Action, Call } from '../context.js'
import { invalidParameterValue, missingParameter } from '../errors.js'
import { optInt, type Input, type Output } from '../params.js'
import { batchEntries, failed, type Failed } from './batch.js'
import { existingQueue } from './queue.js'
import { receiptOf } from './receipt.js'

async function deleteOne(call: Call, queue: string, handle: unknown): Promise<void> {
  if (handle === undefined || handle === '') throw missingParameter('ReceiptHandle')
  const receipt = receiptOf(handle, queue)
  try {
    await call.face.store.ack([receipt])
  } catch (err) {
    if (!(err instanceof HubqError && err.code === 'unknown_receipt')) throw err
  }
}

async function changeOne(call: Call, queue: string, entry: Input): Promise<void> {
  if (entry.ReceiptHandle === undefined || entry.ReceiptHandle === '') throw missingParameter('ReceiptHandle')
  const receipt = receiptOf(entry.ReceiptHandle, queue)
  const timeout = optInt(entry, 'VisibilityTimeout', 0, 43_200)
  if (timeout === undefined) throw missingParameter('VisibilityTimeout')
  try {
    await call.face.store.touch(receipt, timeout)
  } catch (err) {
    if (err instanceof HubqError && err.code === 'unknown_receipt') {
      throw invalidParameterValue(`Value ${String(entry.ReceiptHandle)} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`)
    }
    throw err
  }
}

export const deleteMessage: Action = async (input, call) => {
  const { name } = await existingQueue(input, call)
  await deleteOne(call, name, input.ReceiptHandle)
  return {}
}

export const changeMessageVisibility: Action = async (input, call) => {
  const { name } = await existingQueue(input, call)
  await changeOne(call, name, input)
  return {}
}

async function eachEntry(input: Input, call: Call, run: (name: string, entry: Input) => Promise<void>): Promise<Output> {
  const { name } = await existingQueue(input, call)
  const entries = batchEntries(input)
  const Successful: Output[] = []
  const Failed: Failed[] = []
  for (const entry of entries) {
    try {
      await run(name, entry)
      Successful.push({ Id: entry.Id })
    } catch (err) {
      Failed.push(failed(entry.Id as string, err))
    }
  }
  return { Successful, Failed }
}

export const deleteMessageBatch: Action = (input, call) => eachEntry(input, call, (name, entry) => deleteOne(call, name, entry.ReceiptHandle))
export const changeMessageVisibilityBatch: Action = (input, call) => eachEntry(input, call, (name, entry) => changeOne(call, name, entry))
