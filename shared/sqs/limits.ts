// What SQS and SNS cannot take, checked before any AWS call so a refusal costs nothing and says
// exactly which limit it hit (PROTOCOL.md "Cloud mode differences").
import { HubqError, badRequest } from '../errors.js'
import type { PublishInput } from '../protocol/types.js'
import { messageSize as sharedMessageSize } from '../protocol/requests.js'

/** SNS's limit, and SQS's for most of its life; counted the AWS way, attributes included. */
export const SQS_MAX_MESSAGE_BYTES = 262_144
export const SQS_MAX_DELAY_SECONDS = 900
export const SQS_MAX_WAIT_SECONDS = 20
export const SQS_MAX_VISIBILITY_SECONDS = 43_200
export const SQS_MIN_RETENTION_SECONDS = 60
export const SQS_MAX_ATTRIBUTES = 10
/** Entries per SendMessageBatch, DeleteMessageBatch, ReceiveMessage, PublishBatch. */
export const SQS_BATCH = 10

/** SQS counts every time in whole seconds. */
export function wholeSeconds(value: number, what: string, max: number, min = 0): number {
  if (!Number.isInteger(value)) throw badRequest(`${what} must be whole seconds on the SQS backend (got ${value})`)
  if (value < min || value > max) throw badRequest(`${what} must be between ${min} and ${max} seconds on the SQS backend (got ${value})`)
  return value
}

export function checkDelay(delay: number, what = 'delay'): number {
  if (delay > SQS_MAX_DELAY_SECONDS) {
    throw badRequest(`${what} of ${delay} s is over SQS's limit of ${SQS_MAX_DELAY_SECONDS} s (15 minutes); use the local backend for longer delays`)
  }
  return wholeSeconds(delay, what, SQS_MAX_DELAY_SECONDS)
}

/** Size as SQS counts it: body bytes plus each attribute's name, type ("String") and value. */
export function messageSize(input: PublishInput): number {
  return sharedMessageSize(input.bodyJson, input.attrs)
}

export function checkMessage(input: PublishInput, where: string): void {
  const size = messageSize(input)
  if (size > SQS_MAX_MESSAGE_BYTES) {
    throw new HubqError('message_too_large', `${where}message is ${size} bytes with its attrs; SQS takes at most ${SQS_MAX_MESSAGE_BYTES}`)
  }
  if (input.attrs && Object.keys(input.attrs).length > SQS_MAX_ATTRIBUTES) {
    throw badRequest(`${where}attrs may hold at most ${SQS_MAX_ATTRIBUTES} entries on the SQS backend (an SQS limit)`)
  }
  if (input.delay !== undefined) checkDelay(input.delay, `${where}delay`)
}

/** Splits a list into AWS-sized batches, keeping order. */
export function chunks<T>(items: T[], size = SQS_BATCH): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
