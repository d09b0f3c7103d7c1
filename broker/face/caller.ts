// Who is asking and where: region and account from the SigV4 credential scope, URLs from Host
// (PROTOCOL.md §12 "Names"). Queue URLs are http://HOST/ACCOUNT/NAME, ARNs arn:aws:SERVICE:REGION:ACCOUNT:NAME.
import type { IncomingMessage } from 'node:http'

export const DEFAULT_REGION = 'us-east-1'
export const DEFAULT_ACCOUNT = '000000000000'

export interface Caller {
  region: string
  account: string
  /** The access key id of the signature, when the request was signed. */
  accessKeyId?: string
  /** The signing service (`sqs`, `sns`) of the credential scope, when signed. */
  service?: string
  /** `http://HOST` as the client addressed us. */
  origin: string
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/

export function callerOf(request: IncomingMessage, query?: URLSearchParams): Caller {
  const header = request.headers.authorization
  const credential = typeof header === 'string' ? header : query?.get('X-Amz-Credential') ? `Credential=${query.get('X-Amz-Credential')}` : undefined
  const match = credential === undefined ? null : CREDENTIAL.exec(credential)
  const accessKeyId = match?.[1]
  const caller: Caller = {
    region: match?.[2] ?? DEFAULT_REGION,
    account: accessKeyId !== undefined && /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT,
    origin: `http://${request.headers.host ?? 'localhost'}`,
  }
  if (accessKeyId !== undefined) caller.accessKeyId = accessKeyId
  if (match?.[3] !== undefined) caller.service = match[3]
  return caller
}

export function queueUrl(caller: Caller, name: string): string {
  return `${caller.origin}/${caller.account}/${name}`
}

export function arn(caller: Caller, service: 'sqs' | 'sns', name: string): string {
  return `arn:aws:${service}:${caller.region}:${caller.account}:${name}`
}

/** The resource name at the end of an ARN (`arn:aws:sqs:R:A:NAME` → NAME), or undefined. */
export function nameOfArn(value: string, service: 'sqs' | 'sns'): string | undefined {
  const parts = value.split(':')
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== service) return undefined
  return parts.slice(5).join(':')
}
