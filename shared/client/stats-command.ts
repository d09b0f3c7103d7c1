// `hubq stats [--queue Q]`: a table on a terminal, JSON otherwise.
import { openBackend, type StatsResult } from './backend.js'
import { URL_HELP, UsageError, parseFlags, runCommand, urlFrom } from './command.js'
import { nameOption } from './options.js'

export const STATS_USAGE = `Usage: hubq stats [--queue Q] [--watch [--interval S]]

  --queue Q              one queue (default: every queue)
${URL_HELP}
  --json                 JSON even on a terminal
  --watch                refresh every --interval seconds until Ctrl-C (the table redrawn on a
                         terminal, one JSON line per refresh otherwise)
  --interval S           seconds between refreshes with --watch (default 1)
  -h, --help             this text
`

export function main(args: string[]): Promise<number> {
  return runCommand('stats', STATS_USAGE, async () => {
    const flags = parseFlags(args, {
      queue: { type: 'string' },
      url: { type: 'string' },
      json: { type: 'boolean' },
      watch: { type: 'boolean' },
      interval: { type: 'string' },
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
    const interval = flags.interval === undefined ? 1 : Number(flags.interval)
    if (!(interval >= 0.1 && interval <= 3600)) throw new UsageError('--interval must be a number of seconds between 0.1 and 3600.')
    const table = process.stdout.isTTY && !flags.json
    const backend = await openBackend(urlFrom(flags.url), { name: 'hubq-stats', reconnect: { attempts: 0 } })
    try {
      if (!flags.watch) {
        const stats = await backend.stats(flags.queue)
        process.stdout.write(table ? statsTable(stats) : JSON.stringify(stats) + '\n')
        return 0
      }
      await watch(() => backend.stats(flags.queue), table, interval * 1000)
    } finally {
      await backend.close()
    }
    return 0
  })
}

/** Redraws until SIGINT or SIGTERM, then resolves (exit 0). */
async function watch(fetchStats: () => Promise<StatsResult>, table: boolean, intervalMs: number): Promise<void> {
  let stopped = false
  let wake: (() => void) | undefined
  const stop = (): void => {
    stopped = true
    wake?.()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    while (!stopped) {
      const stats = await fetchStats()
      if (stopped) break
      if (table) {
        // Home the cursor and clear the screen, then draw the table with the time it was read.
        process.stdout.write('\x1b[H\x1b[2J' + `hubq stats, every ${intervalMs / 1000} s (Ctrl-C to stop) - ${new Date().toISOString()}\n\n` + statsTable(stats))
      } else {
        process.stdout.write(JSON.stringify(stats) + '\n')
      }
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, intervalMs)
      })
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
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
