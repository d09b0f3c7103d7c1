// AWS's error shapes for the SQS/SNS face (PROTOCOL.md §12): a code, a message, the HTTP status,
// and for SQS the query-protocol code the JSON protocol repeats in `x-amzn-query-error`.
import { HubqError } from '../../shared/errors.js'

export type Fault = 'Sender' | 'Receiver'

export class AwsError extends Error {
  override name = 'AwsError'
  readonly status: number
  /** The code the query protocol (and `x-amzn-query-error`) names; the JSON `__type` names `code`. */
  readonly queryCode: string
  readonly fault: Fault

  constructor(readonly code: string, message: string, options: { status?: number; queryCode?: string; fault?: Fault } = {}) {
    super(message)
    this.status = options.status ?? 400
    this.queryCode = options.queryCode ?? code
    this.fault = options.fault ?? (this.status >= 500 ? 'Receiver' : 'Sender')
  }
}

const sqs = (code: string, queryCode = `AWS.SimpleQueueService.${code}`) => (message: string): AwsError => new AwsError(code, message, { queryCode })

export const invalidParameterValue = (message: string): AwsError => new AwsError('InvalidParameterValue', message)
export const missingParameter = (name: string): AwsError =>
  new AwsError('MissingParameter', `The request must contain the parameter ${name}.`)
export const invalidAttributeName = (message: string): AwsError => new AwsError('InvalidAttributeName', message)
export const invalidAttributeValue = (message: string): AwsError => new AwsError('InvalidAttributeValue', message)
export const queueDoesNotExist = (): AwsError =>
  new AwsError('QueueDoesNotExist', 'The specified queue does not exist.', { queryCode: 'AWS.SimpleQueueService.NonExistentQueue' })
/** JSON protocol `QueueNameExists`, query protocol `QueueAlreadyExists`, as the SQS model names them. */
export const queueAlreadyExists = (message: string): AwsError => new AwsError('QueueNameExists', message, { queryCode: 'QueueAlreadyExists' })
export const receiptHandleIsInvalid = (handle: string): AwsError =>
  new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle.slice(0, 100)}" is not a valid receipt handle.`, { status: 404 })
export const invalidMessageContents = (message: string): AwsError => new AwsError('InvalidMessageContents', message)
export const batchEntryIdsNotDistinct = sqs('BatchEntryIdsNotDistinct')
export const tooManyEntriesInBatchRequest = sqs('TooManyEntriesInBatchRequest')
export const emptyBatchRequest = sqs('EmptyBatchRequest')
export const invalidBatchEntryId = sqs('InvalidBatchEntryId')
export const batchRequestTooLong = sqs('BatchRequestTooLong')
export const unsupportedOperation = sqs('UnsupportedOperation')
export const messageNotInflight = sqs('MessageNotInflight')
export const resourceNotFound = (message: string): AwsError => new AwsError('ResourceNotFoundException', message, { status: 404 })
export const invalidAction = (action: string): AwsError =>
  new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`)
export const malformed = (message: string): AwsError => new AwsError('MalformedQueryString', message)
export const requestTooLarge = (max: number): AwsError =>
  new AwsError('RequestEntityTooLarge', `The request body is larger than ${max} bytes.`, { status: 413 })
export const serviceUnavailable = (message: string): AwsError =>
  new AwsError('ServiceUnavailable', message, { status: 503, fault: 'Receiver' })
export const internalError = (message: string): AwsError =>
  new AwsError('InternalError', message, { status: 500, fault: 'Receiver' })

/** SNS's codes (its query protocol has no separate query code). */
export const snsNotFound = (message: string): AwsError => new AwsError('NotFound', message, { status: 404 })
export const snsInvalidParameter = (message: string): AwsError => new AwsError('InvalidParameter', message)

/** Any thrown value as an AwsError: hubq's store errors keep their meaning, anything else is InternalError. */
export function toAwsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err
  if (err instanceof HubqError) {
    switch (err.code) {
      case 'not_found': return queueDoesNotExist()
      case 'message_too_large': return invalidParameterValue(`One or more parameters are invalid. Reason: ${err.message}`)
      case 'bad_request': return invalidParameterValue(err.message)
      case 'limit': return new AwsError('OverLimit', err.message, { status: 403 })
      case 'unavailable': return serviceUnavailable(err.message)
      case 'forbidden': return new AwsError('AccessDenied', err.message, { status: 403 })
      case 'unknown_receipt': return receiptHandleIsInvalid('')
      default: return internalError(err.message)
    }
  }
  return internalError(err instanceof Error ? err.message : String(err))
}
