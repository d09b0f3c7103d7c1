// MessageGroupId and MessageDeduplicationId of an SQS send or an SNS publish: one set of rules
// for both services (AWS applies the same ones), each service with its own error wording.
import { createHash } from 'node:crypto'
import { optString, type Input } from './params.js'

/** 1 to 128 printable ASCII characters, no space. */
const KEY = /^[!-~]{1,128}$/

/** How one service words each refusal. */
export interface FifoKeyErrors {
  badGroup(group: string): Error
  groupRequired(): Error
  badDedup(dedup: string): Error
  /** A MessageDeduplicationId on a standard queue or topic. */
  dedupNotAllowed(): Error
  /** A fifo queue or topic without ContentBasedDeduplication, and no MessageDeduplicationId. */
  dedupRequired(): Error
}

/**
 * The entry's group and dedup id: both optional on a standard queue or topic (a dedup id is
 * refused there), a group required on a fifo one, and its dedup id given or, with
 * `contentBased`, the SHA-256 of the body.
 */
export function fifoKeys(
  entry: Input, fifo: boolean, contentBased: boolean, body: string, errors: FifoKeyErrors,
): { group: string | undefined; dedupId: string | undefined } {
  const group = optString(entry, 'MessageGroupId')
  if (group !== undefined) {
    if (!KEY.test(group)) throw errors.badGroup(group)
  } else if (fifo) {
    throw errors.groupRequired()
  }
  let dedupId = optString(entry, 'MessageDeduplicationId')
  if (dedupId !== undefined) {
    if (!fifo) throw errors.dedupNotAllowed()
    if (!KEY.test(dedupId)) throw errors.badDedup(dedupId)
  } else if (fifo) {
    if (!contentBased) throw errors.dedupRequired()
    dedupId = createHash('sha256').update(body, 'utf8').digest('hex')
  }
  return { group, dedupId }
}
