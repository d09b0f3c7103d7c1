// SNS's error codes for what the face's shared readers and the store throw (PROTOCOL.md §12.8):
// a bad or missing parameter is InvalidParameter, a missing topic or subscription NotFound, the
// batch errors carry their plain names (SQS prefixes them with `AWS.SimpleQueueService.`).
import { HubqError } from '../../../shared/errors.js'
import type { Action } from '../context.js'
import { AwsError, snsInvalidParameter, snsNotFound, toAwsError } from '../errors.js'

const PARAMETER = new Set(['InvalidParameterValue', 'MissingParameter', 'InvalidAttributeName', 'InvalidAttributeValue', 'InvalidMessageContents', 'MalformedQueryString'])

export function snsErrorOf(err: unknown): AwsError {
  if (err instanceof HubqError) {
    if (err.code === 'not_found') return snsNotFound(err.message)
    if (err.code === 'bad_request' || err.code === 'message_too_large') return snsInvalidParameter(`Invalid parameter: ${err.message}`)
    return toAwsError(err)
  }
  if (!(err instanceof AwsError)) return toAwsError(err)
  if (PARAMETER.has(err.code)) return snsInvalidParameter(err.message.startsWith('Invalid parameter') ? err.message : `Invalid parameter: ${err.message}`)
  if (err.queryCode.startsWith('AWS.SimpleQueueService.')) return new AwsError(err.code, err.message, { status: err.status })
  return err
}

/** A message attribute SNS refuses: its own code, `ParameterValueInvalid`. */
export function parameterValueInvalid(message: string): AwsError {
  return new AwsError('ParameterValueInvalid', message)
}

/** The action with every error it throws in SNS's codes. */
export function snsErrors(action: Action): Action {
  return async (input, call) => {
    try {
      return await action(input, call)
    } catch (err) {
      throw snsErrorOf(err)
    }
  }
}
