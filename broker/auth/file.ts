// The `--auth FILE` format (PROTOCOL.md §7.2), checked strictly: a typo in a permission file
// must stop the broker at start, not silently grant or deny something.
import { readFileSync } from 'node:fs'
import { PATTERN_CHARS } from './glob.js'
import { RIGHTS, type Grant, type Right } from './principal.js'
import { digestOf, TokenTable, type TokenEntry } from './tokens.js'

export class AuthFileError extends Error {
  override name = 'AuthFileError'
}

/** Every op of PROTOCOL.md §4, as the `ops` list may name them. */
export const KNOWN_OPS = [
  'hello', 'ping', 'declare', 'publish', 'receive', 'subscribe', 'unsubscribe', 'ack', 'nack', 'touch',
  'topic', 'bind', 'unbind', 'purge', 'drop', 'peek', 'redrive', 'stats',
] as const

const ENTRY_KEYS = new Set(['name', 'token', 'sha256', 'ops', ...RIGHTS, 'deny'])

export function loadAuthFile(path: string): TokenTable {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AuthFileError(`cannot read auth file ${path}: ${(err as Error).message}`)
  }
  return parseAuthFile(text, path)
}

export function parseAuthFile(text: string, where = 'auth file'): TokenTable {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // The parser's message may quote the file's text, tokens included: say where, not what.
    throw new AuthFileError(`${where} is not valid JSON`)
  }
  if (!isObject(value) || !Array.isArray(value.tokens) || value.tokens.length === 0) {
    throw new AuthFileError(`${where} must be an object with a non-empty "tokens" array`)
  }
  const seen = new Set<string>()
  const entries: TokenEntry[] = value.tokens.map((raw: unknown, i: number) => {
    const entry = parseEntry(raw, `${where}: tokens[${i}]`, i)
    const key = entry.digest.toString('hex')
    if (seen.has(key)) throw new AuthFileError(`${where}: tokens[${i}] repeats the token of an earlier entry`)
    seen.add(key)
    return entry
  })
  return new TokenTable(entries)
}

function parseEntry(raw: unknown, where: string, index: number): TokenEntry {
  if (!isObject(raw)) throw new AuthFileError(`${where} must be an object`)
  for (const key of Object.keys(raw)) {
    if (!ENTRY_KEYS.has(key)) throw new AuthFileError(`${where} has an unknown key ${JSON.stringify(key)} (known: ${[...ENTRY_KEYS].join(', ')})`)
  }
  const name = raw.name === undefined ? `tokens[${index}]` : raw.name
  if (typeof name !== 'string' || name === '' || name.length > 200) throw new AuthFileError(`${where}.name must be a string of 1 to 200 characters`)
  const hasToken = raw.token !== undefined
  if (hasToken === (raw.sha256 !== undefined)) throw new AuthFileError(`${where} needs exactly one of "token" and "sha256"`)
  let digest: Buffer
  if (hasToken) {
    if (typeof raw.token !== 'string' || raw.token.length < 8 || raw.token.length > 4096) {
      throw new AuthFileError(`${where}.token must be a string of 8 to 4096 characters`)
    }
    digest = digestOf(raw.token)
  } else {
    if (typeof raw.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(raw.sha256)) {
      throw new AuthFileError(`${where}.sha256 must be 64 hex digits (sha256 of the token)`)
    }
    digest = Buffer.from(raw.sha256, 'hex')
  }
  const grant: Grant = { name, allow: {} }
  if (raw.ops !== undefined) {
    if (!Array.isArray(raw.ops) || !raw.ops.every((op) => typeof op === 'string' && (KNOWN_OPS as readonly string[]).includes(op))) {
      throw new AuthFileError(`${where}.ops must be an array of op names (${KNOWN_OPS.join(', ')})`)
    }
    grant.ops = raw.ops as string[]
  }
  for (const right of RIGHTS) {
    const list = patterns(raw[right], `${where}.${right}`)
    if (list) grant.allow[right] = list
  }
  if (raw.deny !== undefined) {
    if (!isObject(raw.deny)) throw new AuthFileError(`${where}.deny must be an object of {right: [patterns]}`)
    grant.deny = {}
    for (const key of Object.keys(raw.deny)) {
      if (!(RIGHTS as readonly string[]).includes(key)) throw new AuthFileError(`${where}.deny has an unknown right ${JSON.stringify(key)} (known: ${RIGHTS.join(', ')})`)
      const list = patterns(raw.deny[key], `${where}.deny.${key}`)
      if (list) grant.deny[key as Right] = list
    }
  }
  return hasToken ? { digest, grant, secret: raw.token as string } : { digest, grant }
}

function patterns(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'string' && PATTERN_CHARS.test(p))) {
    throw new AuthFileError(`${where} must be an array of patterns: 1 to 80 characters of letters, digits, '-', '_', '.', '*' and '?'`)
  }
  return value as string[]
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
