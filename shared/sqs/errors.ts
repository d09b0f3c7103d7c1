// AWS failures as hubq wire errors: what the caller did wrong is its own code, everything else
// (throttling that outlived the SDK's retries, network, 5xx) is `unavailable`.
import { HubqError } from '../errors.js'

interface AwsErrorLike {
  name?: string
  message?: string
  $fault?: 'client' | 'server'
  $metadata?: { httpStatusCode?: number }
}

const NOT_FOUND = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NotFound', 'NotFoundException'])
const BAD_RECEIPT = new Set(['ReceiptHandleIsInvalid', 'MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight'])
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestThrottled', 'ThrottledException', 'KMSThrottlingException'])

export function isNotFound(err: unknown): boolean {
  return NOT_FOUND.has((err as AwsErrorLike)?.name ?? '')
}

export function isBadReceipt(err: unknown): boolean {
  const e = err as AwsErrorLike
  return BAD_RECEIPT.has(e?.name ?? '') || (e?.name === 'InvalidParameterValue' && /receipt/i.test(e.message ?? ''))
}

/** `what` names the call in the message: "SQS SendMessage failed: …". */
export function fromAws(err: unknown, what: string): HubqError {
  if (err instanceof HubqError) return err
  const e = (err ?? {}) as AwsErrorLike
  const name = e.name ?? 'Error'
  const message = `${what} failed: ${name}: ${e.message ?? String(err)}`
  if (NOT_FOUND.has(name)) return new HubqError('not_found', message, { cause: err })
  if (BAD_RECEIPT.has(name)) return new HubqError('unknown_receipt', message, { cause: err })
  if (name === 'PurgeQueueInProgress' || name === 'AWS.SimpleQueueService.PurgeQueueInProgress') {
    return new HubqError('limit', `${message} (SQS allows one purge per queue every 60 s)`, { cause: err })
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'AuthorizationError') {
    return new HubqError('forbidden', message, { cause: err })
  }
  if (e.$fault === 'client' && !THROTTLED.has(name) && e.$metadata?.httpStatusCode !== undefined) {
    return new HubqError('bad_request', message, { cause: err })
  }
  return new HubqError('unavailable', message, { cause: err })
}

