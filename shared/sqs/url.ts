// `sqs://?region=R[&endpoint=URL][&prefix=P]`, parsed in one place for the broker and the clients
// (CONTRACT.md "Cloud mode").

export interface SqsUrl {
  region: string
  /** Points both SQS and SNS at a compatible server (a local emulator); undefined = AWS. */
  endpoint?: string
  /** Namespaces every queue and topic name. */
  prefix: string
}

/** SQS and SNS names allow letters, digits, `-` and `_` (plus `.fifo` on fifo queues). */
export const AWS_NAME_PATTERN = /^[A-Za-z0-9_-]*$/

export class SqsUrlError extends Error {
  override name = 'SqsUrlError'
}

export function isSqsUrl(value: string): boolean {
  return value.startsWith('sqs://')
}

export function parseSqsUrl(value: string): SqsUrl {
  if (!isSqsUrl(value)) throw new SqsUrlError(`an SQS URL starts with sqs:// (got ${JSON.stringify(value)})`)
  const rest = value.slice('sqs://'.length)
  const query = rest.startsWith('?') ? rest.slice(1) : rest.startsWith('/?') ? rest.slice(2) : undefined
  if (query === undefined) {
    throw new SqsUrlError(`an SQS URL has the form sqs://?region=R[&endpoint=URL][&prefix=P] (got ${JSON.stringify(value)})`)
  }
  const params = new URLSearchParams(query)
  for (const key of params.keys()) {
    if (key !== 'region' && key !== 'endpoint' && key !== 'prefix') {
      throw new SqsUrlError(`unknown SQS URL parameter ${JSON.stringify(key)}: use region, endpoint and prefix`)
    }
  }
  const region = params.get('region')
  if (!region || !/^[a-z0-9-]+$/.test(region)) throw new SqsUrlError('the SQS URL needs region=R (e.g. region=us-east-1)')
  const prefix = params.get('prefix') ?? ''
  if (!AWS_NAME_PATTERN.test(prefix) || prefix.length > 40) {
    throw new SqsUrlError('prefix must be at most 40 letters, digits, - or _ (SQS and SNS names allow nothing else)')
  }
  const endpoint = params.get('endpoint') ?? undefined
  if (endpoint !== undefined) {
    let parsed: URL
    try {
      parsed = new URL(endpoint)
    } catch {
      throw new SqsUrlError(`endpoint must be an http(s) URL (got ${JSON.stringify(endpoint)})`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SqsUrlError(`endpoint must be an http(s) URL (got ${JSON.stringify(endpoint)})`)
    }
  }
  return endpoint === undefined ? { region, prefix } : { region, endpoint, prefix }
}

/** The URL back as text, for logs (no secrets live in it). */
export function formatSqsUrl(url: SqsUrl): string {
  const params = new URLSearchParams({ region: url.region })
  if (url.endpoint !== undefined) params.set('endpoint', url.endpoint)
  if (url.prefix) params.set('prefix', url.prefix)
  return `sqs://?${params.toString()}`
}
