// `hubq stats [--queue Q]`: a table on a terminal, JSON otherwise.
import { openBackend, type StatsResult } from './backend.js'
import { URL_HELP, UsageError, parseFlags, runCommand, urlFrom } from './command.js'
import { nameOption } from './options.js'

export const STATS_USAGE = `Usage: hubq stats [--queue Q]

  --queue Q              one queue (default: every queue)
${URL_HELP}
  --json                 JSON even on a terminal
  -h, --help             this text
`

export function main(args: string[]): Promise<number> {
  return runCommand('stats', STATS_USAGE, async () => {
    const flags = parseFlags(args, {
      queue: { type: 'string' },
      url: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    })
    if (flags.help) {
      process.stdout.write(STATS_USAGE)
      return 0
    }
    if (flags.queue !== undefined) {
      try {
        nameOption('--queue', flags.queue)
      } catch (err) {
        throw new UsageError((err as Error).message)
      }
    }
    const backend = await openBackend(urlFrom(flags.url), { name: 'hubq-stats', reconnect: { attempts: 0 } })
    try {
      const stats = await backend.stats(flags.queue)
      process.stdout.write(process.stdout.isTTY && !flags.json ? statsTable(stats) : JSON.stringify(stats) + '\n')
    } finally {
      await backend.close()
    }
    return 0
  })
}

const COLUMNS = ['queue', 'ready', 'inflight', 'delayed', 'published', 'acked', 'deadLettered'] as const

export function statsTable(stats: StatsResult): string {
  const rows = [COLUMNS.map(String), ...stats.queues.map((q) => COLUMNS.map((c) => String(q[c])))]
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)))
  const line = (r: string[]): string => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')
  let out = rows.map(line).join('\n') + '\n'
  if (stats.queues.length === 0) out += '(no queues)\n'
  if (stats.connections !== undefined) out += `\nconnections ${stats.connections}, uptime ${stats.uptime ?? 0} s\n`
  return out
}
