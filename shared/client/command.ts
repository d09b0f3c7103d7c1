// What the client commands share: flag parsing errors, --url/HUBQ_URL, and error reporting.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { HubqError } from './errors.js'
import { nameOption } from './options.js'
import { resolveUrl } from './url.js'

export const URL_HELP = `  --url URL              where to go (env HUBQ_URL, default hubq://127.0.0.1:7400), one of:
                           hubq://HOST:PORT           a broker (port default 7400)
                           hubq://TOKEN@HOST:PORT     a broker with auth, the token in the URL
                           hubqs://[TOKEN@]HOST:PORT  the same over TLS
                           sqs://?region=R[&endpoint=URL][&prefix=P]
                                                      SQS/SNS directly, no broker (AWS credentials
                                                      from the usual environment and files)`

export type Parsed<O extends ParseArgsConfig['options']> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values']

/** parseArgs, or a usage message and exit code 2 as a thrown UsageError. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Parsed<O>
  } catch (err) {
    throw new UsageError(parseArgsMessage(err))
  }
}

/** node:util parseArgs's error as one short line, the same on every Node version. */
export function parseArgsMessage(err: unknown): string {
  const e = err as { code?: string; message?: string }
  const quoted = /'([^']*)'/.exec(e.message ?? '')?.[1]
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option ${quoted}`
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted !== undefined) return `unexpected argument ${JSON.stringify(quoted)}`
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) return `${quoted.replace(/ <value>$/, '')} needs a value`
  return e.message ?? String(err)
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export function urlFrom(flag: string | undefined): string {
  return resolveUrl(flag)
}

/** A number flag: finite, within bounds, else a UsageError naming the flag. */
export function numberFlag(value: string | undefined, flag: string, min: number, max: number, integer = false): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max} (got ${JSON.stringify(value)})`)
  }
  return n
}

/** parseFlags with positional arguments, each named in `names` (all required, no more allowed). */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[], options: O, names: string[],
): { flags: Parsed<O>; positionals: string[] } {
  let parsed
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true })
  } catch (err) {
    throw new UsageError(parseArgsMessage(err))
  }
  const flags = parsed.values as Parsed<O>
  const positionals = parsed.positionals
  if ((flags as { help?: boolean }).help) return { flags, positionals }
  if (positionals.length < names.length) throw new UsageError(`${names[positionals.length]} is required`)
  if (positionals.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`)
  return { flags, positionals }
}

/** A name the protocol accepts (§3), else a UsageError naming what it is. */
export function nameArgument(what: string, value: string): string {
  try {
    return nameOption(what, value)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

/** JSON when stdout is not a terminal (or with --json), else the human line. */
export function printResult(json: unknown, human: string, forceJson = false): void {
  process.stdout.write(process.stdout.isTTY && !forceJson ? human + '\n' : JSON.stringify(json) + '\n')
}

/**
 * Runs a command body; a usage error is one line and a pointer to --help (exit 2), anything else
 * one line with the wire error's code (exit 1).
 */
export async function runCommand(name: string, _usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body()
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`hubq ${name}: ${err.message} (see hubq ${name} --help)\n`)
      return 2
    }
    const code = err instanceof HubqError ? ` (${err.code})` : ''
    process.stderr.write(`hubq ${name}: ${err instanceof Error ? err.message : String(err)}${code}\n`)
    return 1
  }
}
