// Client addresses: `hubq://[TOKEN@]HOST[:PORT]` (`hubqs://` for TLS) or `sqs://?region=R...`, from `--url`/`url`,
// else env HUBQ_URL, else the default broker address (CONTRACT "Names and defaults").
import { InvalidOptionError } from './errors.js'

export const DEFAULT_URL = 'hubq://127.0.0.1:7400'
export const DEFAULT_PORT = 7400

export type ClientAddress =
  | { scheme: 'hubq'; host: string; port: number; token?: string; tls?: boolean; href: string }
  | { scheme: 'sqs'; params: URLSearchParams; href: string }

export function resolveUrl(url: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (url !== undefined && url !== '') return url
  const fromEnv = env.HUBQ_URL
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_URL
}

export function parseUrl(href: string): ClientAddress {
  const invalid = (): InvalidOptionError =>
    new InvalidOptionError(`url must look like hubq://HOST:PORT, hubqs://HOST:PORT or sqs://?region=REGION (got ${JSON.stringify(redact(href))}).`)
  let url: URL
  try {
    url = new URL(href)
  } catch {
    throw invalid()
  }
  if (url.protocol === 'sqs:') return { scheme: 'sqs', params: url.searchParams, href }
  if ((url.protocol !== 'hubq:' && url.protocol !== 'hubqs:') || url.hostname === '') throw invalid()
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalid()
  // WHATWG URL keeps the brackets of an IPv6 literal; net.connect wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  // The token stays out of href: href ends up in error messages and logs.
  const address: ClientAddress = { scheme: 'hubq', host, port, href: redact(href) }
  if (url.protocol === 'hubqs:') address.tls = true
  if (url.username !== '') address.token = decodeURIComponent(url.username)
  return address
}

/** The URL with any `TOKEN@` replaced by `***@`. */
export function redact(href: string): string {
  return href.replace(/^([a-z]+:\/\/)[^@/?#]*@/i, '$1***@')
}
