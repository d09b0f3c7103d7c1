// AWS Signature Version 4, checked (PROTOCOL.md §12 "Auth"): the Authorization header form and the
// presigned query-string form. The canonical request is rebuilt from the request as it came off the
// wire (path and query as sent, headers as sent, the body's own SHA-256) and signed with the secret
// of the credential's access key id; the region and service are the credential scope's own.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { AwsError } from './errors.js'

/** How far a request's date may be from the broker's clock, either way (AWS's 15 minutes). */
export const MAX_SKEW_MS = 15 * 60_000
/** Longest X-Amz-Expires of a presigned URL: one week, as AWS. */
export const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600

const ALGORITHM = 'AWS4-HMAC-SHA256'
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

export interface SignedRequest {
  method: string
  /** The request target as sent: path and query, still percent-encoded. */
  url: string
  /** Node's rawHeaders: name, value, name, value, … */
  rawHeaders: readonly string[]
  body: Buffer
}

export interface Credential {
  accessKeyId: string
  date: string
  region: string
  service: string
}

export interface Verified<P> extends Credential {
  principal: P
}

/** The secret and principal of an access key id, or undefined when it is no key this broker knows. */
export type SecretOf<P> = (accessKeyId: string) => { secret: string; principal: P } | undefined

export const missingAuthenticationToken = (): AwsError =>
  new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', { status: 403 })
export const incompleteSignature = (message: string): AwsError => new AwsError('IncompleteSignature', message, { status: 400 })
export const signatureDoesNotMatch = (message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'): AwsError =>
  new AwsError('SignatureDoesNotMatch', message, { status: 403 })
export const invalidClientTokenId = (): AwsError =>
  new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', { status: 403 })
export const requestExpired = (message: string): AwsError => new AwsError('RequestExpired', message, { status: 400 })

interface Parsed extends Credential {
  amzDate: string
  signedHeaders: string[]
  signature: string
  presigned: boolean
  expires?: number
}

/** Checks the request's signature; the principal of its access key id, or the AWS error to answer. */
export function verifySignature<P>(request: SignedRequest, secretOf: SecretOf<P>, now: number, keys?: SigningKeyCache): Verified<P> {
  const cut = request.url.indexOf('?')
  const rawPath = cut < 0 ? request.url : request.url.slice(0, cut)
  const query = parseQuery(cut < 0 ? '' : request.url.slice(cut + 1))
  const headers = headerMap(request.rawHeaders)
  const parsed = parse(headers, query)
  const key = secretOf(parsed.accessKeyId)
  if (!key) throw invalidClientTokenId()
  checkTime(parsed, now)
  if (!parsed.signedHeaders.includes('host')) throw incompleteSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")

  const bodyHash = createHash('sha256').update(request.body).digest('hex')
  const declared = headers.get('x-amz-content-sha256')?.[0]
  let payloads: string[]
  if (parsed.presigned) {
    // A presigned URL signs no body: SDKs put the empty body's hash or UNSIGNED-PAYLOAD (botocore).
    // Whatever the body would add to the request must then be signed, so UNSIGNED needs none.
    payloads = request.body.length === 0 ? [bodyHash, UNSIGNED_PAYLOAD] : [bodyHash]
  } else {
    if (declared !== undefined && declared !== bodyHash) throw signatureDoesNotMatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
    payloads = [bodyHash]
  }
  const canonicalHeaders = parsed.signedHeaders.map((name) => `${name}:${(headers.get(name) ?? []).map(trimValue).join(',')}\n`).join('')
  const canonicalQuery = query
    .filter(([k]) => !(parsed.presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [uriEscape(k), uriEscape(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const scope = `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`
  const signingKey = (keys ?? new SigningKeyCache()).get(key.secret, parsed)
  const given = Buffer.from(parsed.signature, 'hex')
  for (const payload of payloads) {
    const canonical = `${request.method}\n${canonicalPath(rawPath)}\n${canonicalQuery}\n${canonicalHeaders}\n${parsed.signedHeaders.join(';')}\n${payload}`
    const toSign = `${ALGORITHM}\n${parsed.amzDate}\n${scope}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`
    const expected = createHmac('sha256', signingKey).update(toSign, 'utf8').digest()
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { accessKeyId: parsed.accessKeyId, date: parsed.date, region: parsed.region, service: parsed.service, principal: key.principal }
    }
  }
  throw signatureDoesNotMatch()
}

/** Signing keys by secret and scope: a client signs many requests a day with the same one. */
export class SigningKeyCache {
  private readonly keys = new Map<string, Buffer>()

  get(secret: string, scope: Credential): Buffer {
    const id = `${scope.accessKeyId}\n${scope.date}\n${scope.region}\n${scope.service}\n${createHash('sha256').update(secret).digest('hex')}`
    let key = this.keys.get(id)
    if (key === undefined) {
      key = Buffer.from(`AWS4${secret}`, 'utf8')
      for (const part of [scope.date, scope.region, scope.service, 'aws4_request']) key = createHmac('sha256', key).update(part, 'utf8').digest()
      if (this.keys.size >= 256) this.keys.clear()
      this.keys.set(id, key)
    }
    return key
  }
}

/** Whether the request carries a signature at all (header or query form). */
export function isSigned(rawHeaders: readonly string[], url: string): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) if ((rawHeaders[i] as string).toLowerCase() === 'authorization') return true
  return /[?&]X-Amz-(Signature|Credential|Algorithm)=/i.test(url)
}

function parse(headers: Map<string, string[]>, query: [string, string][]): Parsed {
  const authorization = headers.get('authorization')?.[0]
  if (authorization !== undefined) return parseHeader(authorization, headers)
  const q = (name: string): string | undefined => query.find(([k]) => k === name)?.[1]
  if (q('X-Amz-Algorithm') === undefined && q('X-Amz-Signature') === undefined && q('X-Amz-Credential') === undefined) throw missingAuthenticationToken()
  const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'].filter((k) => q(k) === undefined)
  if (missing.length > 0) throw incompleteSignature(`AWS query-string parameters must include ${missing.map((m) => `'${m}'`).join(', ')}.`)
  if (q('X-Amz-Algorithm') !== ALGORITHM) throw incompleteSignature(`X-Amz-Algorithm only supports "${ALGORITHM}".`)
  const expires = q('X-Amz-Expires') as string
  if (!/^\d{1,7}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_PRESIGNED_SECONDS) {
    throw incompleteSignature(`X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGNED_SECONDS}.`)
  }
  return {
    ...credential(q('X-Amz-Credential') as string),
    amzDate: amzDate(q('X-Amz-Date') as string),
    signedHeaders: signedHeaders(q('X-Amz-SignedHeaders') as string),
    signature: signature(q('X-Amz-Signature') as string),
    presigned: true,
    expires: Number(expires),
  }
}

function parseHeader(value: string, headers: Map<string, string[]>): Parsed {
  const space = value.indexOf(' ')
  const algorithm = space < 0 ? value : value.slice(0, space)
  if (algorithm !== ALGORITHM) throw incompleteSignature(`Authorization header algorithm must be ${ALGORITHM}.`)
  const parts = new Map<string, string>()
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !parts.has(k))
  if (missing.length > 0) throw incompleteSignature(missing.map((m) => `Authorization header requires '${m}' parameter.`).join(' '))
  const date = headers.get('x-amz-date')?.[0] ?? httpDate(headers.get('date')?.[0])
  if (date === undefined) throw incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
  return {
    ...credential(parts.get('Credential') as string),
    amzDate: amzDate(date),
    signedHeaders: signedHeaders(parts.get('SignedHeaders') as string),
    signature: signature(parts.get('Signature') as string),
    presigned: false,
  }
}

function credential(value: string): Credential {
  const parts = value.split('/')
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts[0] === '' || !/^\d{8}$/.test(parts[1] as string) || parts[2] === '' || parts[3] === '') {
    throw incompleteSignature(`Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request; got '${value.slice(0, 200)}'.`)
  }
  return { accessKeyId: parts[0] as string, date: parts[1] as string, region: parts[2] as string, service: parts[3] as string }
}

function amzDate(value: string): string {
  if (!/^\d{8}T\d{6}Z$/.test(value) || Number.isNaN(dateOf(value))) throw incompleteSignature(`Date must be in ISO-8601 basic format (YYYYMMDD'T'HHMMSS'Z'); got '${value.slice(0, 40)}'.`)
  return value
}

/** An HTTP `Date` header in X-Amz-Date's form, or undefined when absent or unreadable. */
function httpDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
}

function dateOf(amz: string): number {
  return Date.parse(`${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${amz.slice(9, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`)
}

function signedHeaders(value: string): string[] {
  const names = value.split(';')
  if (names.some((n) => n === '' || n !== n.toLowerCase())) throw incompleteSignature(`SignedHeaders must be lowercase header names separated by ';'; got '${value.slice(0, 200)}'.`)
  return names
}

function signature(value: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) throw signatureDoesNotMatch()
  return value
}

function checkTime(parsed: Parsed, now: number): void {
  if (parsed.amzDate.slice(0, 8) !== parsed.date) {
    throw signatureDoesNotMatch(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.date}' != '${parsed.amzDate.slice(0, 8)}'.`)
  }
  const at = dateOf(parsed.amzDate)
  const iso = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
  if (at - now > MAX_SKEW_MS) throw requestExpired(`Signature not yet current: ${parsed.amzDate} is still later than ${iso} (now + 15 min.)`)
  if (parsed.expires !== undefined) {
    if (now > at + parsed.expires * 1000) throw requestExpired(`Request has expired: signed ${parsed.amzDate} for ${parsed.expires} seconds; now ${iso}.`)
  } else if (now - at > MAX_SKEW_MS) {
    throw requestExpired(`Signature expired: ${parsed.amzDate} is now earlier than ${iso} (now - 15 min.)`)
  }
}

/** Header name (lowercase) -> its values in the order sent. */
function headerMap(raw: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    const list = map.get(name)
    if (list) list.push(raw[i + 1] as string)
    else map.set(name, [raw[i + 1] as string])
  }
  return map
}

function trimValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim()
}

/** The query string's pairs, decoded (`+` is a plus, as SigV4 clients encode a space `%20`). */
function parseQuery(raw: string): [string, string][] {
  const pairs: [string, string][] = []
  for (const part of raw.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    pairs.push([decode(eq < 0 ? part : part.slice(0, eq)), decode(eq < 0 ? '' : part.slice(eq + 1))])
  }
  return pairs
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw incompleteSignature('The query string is not validly percent-encoded.')
  }
}

/** RFC 3986 encoding: everything but A-Z a-z 0-9 - _ . ~ as %XX. */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The path as sent, normalized (`.` and `..` and empty segments gone) and encoded once more, `/` kept. */
function canonicalPath(path: string): string {
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`
  return uriEscape(normalized).replace(/%2F/g, '/')
}
