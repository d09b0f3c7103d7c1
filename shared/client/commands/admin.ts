// What the admin commands (declare, topic, bind, unbind, peek, purge, drop, redrive) share: one
// backend opened from --url without reconnects, closed when the command is done.
import type { ParseArgsConfig } from 'node:util'
import { openBackend, type ClientBackend } from '../backend.js'
import { URL_HELP, parseCommand, printResult, runCommand, urlFrom, type Parsed } from '../command.js'

export const COMMON_HELP = `${URL_HELP}
  --json                 JSON even on a terminal (it is always JSON when stdout is not one)
  -h, --help             this text
`

const COMMON_OPTIONS = {
  url: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export interface AdminCommand<O extends NonNullable<ParseArgsConfig['options']>> {
  name: string
  usage: string
  options: O
  /** Names of the positional arguments, in order, for usage errors. */
  positionals: string[]
  /**
   * Checks the arguments before anything connects (throws UsageError), and returns what runs
   * against the backend: `json` goes to stdout off a terminal, `human` on one; a number is the exit code.
   */
  prepare: (flags: Parsed<O & typeof COMMON_OPTIONS>, positionals: string[]) => (backend: ClientBackend) => Promise<{ json: unknown; human: string } | number | undefined>
}

export function adminMain<O extends NonNullable<ParseArgsConfig['options']>>(command: AdminCommand<O>, args: string[]): Promise<number> {
  return runCommand(command.name, command.usage, async () => {
    const { flags, positionals } = parseCommand(args, { ...command.options, ...COMMON_OPTIONS }, command.positionals)
    const common = flags as { help?: boolean; url?: string; json?: boolean }
    if (common.help) {
      process.stdout.write(command.usage)
      return 0
    }
    const run = command.prepare(flags, positionals)
    const backend = await openBackend(urlFrom(common.url), { name: `hubq-${command.name}`, reconnect: { attempts: 0 } })
    try {
      const result = await run(backend)
      if (typeof result === 'number') return result
      if (result) printResult(result.json, result.human, common.json === true)
    } finally {
      await backend.close()
    }
    return 0
  })
}
