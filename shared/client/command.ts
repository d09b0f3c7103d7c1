// What the client commands share: flag parsing errors, --url/HUBQ_URL, and error reporting.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { HubqError } from './errors.js'
import { resolveUrl } from './url.js'

export const URL_HELP = `  --url URL              hubq://HOST:PORT (env HUBQ_URL, default hubq://127.0.0.1:7400)`

export type Parsed<O extends ParseArgsConfig['options']> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values']

/** parseArgs, or a usage message and exit code 2 as a thrown UsageError. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Parsed<O>
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
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

/** Runs a command body; maps usage errors to exit 2 and everything else to a clear line and exit 1. */
export async function runCommand(name: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body()
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`hubq ${name}: ${err.message}\n\n${usage}`)
      return 2
    }
    const code = err instanceof HubqError ? ` (${err.code})` : ''
    process.stderr.write(`hubq ${name}: ${err instanceof Error ? err.message : String(err)}${code}\n`)
    return 1
  }
}
