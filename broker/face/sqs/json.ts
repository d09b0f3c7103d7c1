// SQS over AWS JSON 1.0: `X-Amz-Target: AmazonSQS.<Action>`, a JSON object in, a JSON object out;
// errors as {"__type": "com.amazonaws.sqs#Code", "message"} with `x-amzn-query-error: QueryCode;Fault`.
import { AwsError } from '../errors.js'
import type { Input, Output } from '../params.js'

export const JSON_TYPE = 'application/x-amz-json-1.0'

export function decodeJson(body: Buffer): Input {
  let value: unknown
  try {
    value = body.length === 0 ? {} : JSON.parse(body.toString('utf8'))
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.', { queryCode: 'MalformedQueryString' })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.', { queryCode: 'MalformedQueryString' })
  }
  return value as Input
}

export function encodeJson(output: Output): string {
  return JSON.stringify(output)
}

export function jsonError(error: AwsError): { headers: Record<string, string>; body: string } {
  const prefix = error.code === 'UnknownOperationException' || error.code === 'SerializationException' ? 'com.amazon.coral.service#' : 'com.amazonaws.sqs#'
  return {
    headers: { 'x-amzn-query-error': `${error.queryCode};${error.fault}` },
    body: JSON.stringify({ __type: prefix + error.code, message: error.message }),
  }
}
