// `hubq stats [--queue Q]`: a table on a terminal, JSON otherwise.
import { openBackend, type StatsResult } from './backend.js'
import { URL_HELP, UsageError, parseFlags, runCommand, urlFrom } from './command.js'
import { nameOption } from './options.js'

export const STATS_USAGE = `Usage: hubq stats [--queue Q] [--watch [--interval S]]

On a terminal: a table of the queues (ready, inflight, delayed, published, acked, redelivered,
deadLettered), the topics with their bindings and filters, the connections and uptime; with
--watch the table is redrawn in place with each queue's publish and ack rates (per second,
since the refresh before). Otherwise the stats reply as JSON (one line per refresh with --watch).

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
  let previous: { stats: StatsResult; at: number } | undefined
  let drawnLines = 0
  try {
    while (!stopped) {
      const stats = await fetchStats()
      const at = Date.now()
      if (stopped) break
      if (table) {
        const text = `hubq stats, every ${intervalMs / 1000} s (Ctrl-C to stop) - ${new Date(at).toISOString()}\n\n` +
          statsTable(stats, previous ? rates(previous.stats, stats, (at - previous.at) / 1000) : new Map())
        const lines = text.split('\n').slice(0, -1)
        // In place: back to the first line of the last drawing, each line overwritten and erased to
        // its end, then whatever the last drawing had below erased. The scrollback stays clean.
        process.stdout.write((drawnLines > 0 ? `\x1b[${drawnLines}A\r` : '') + lines.map((l) => l + '\x1b[K\n').join('') + '\x1b[J')
        drawnLines = lines.length
      } else {
        process.stdout.write(JSON.stringify(stats) + '\n')
      }
      previous = { stats, at }
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

export type Rates = Map<string, { published: number; acked: number }>

/** Messages per second published to and acked from each queue between two readings. */
export function rates(before: StatsResult, after: StatsResult, seconds: number): Rates {
  const out: Rates = new Map()
  const old = new Map(before.queues.map((q) => [q.queue, q]))
  for (const q of after.queues) {
    const b = old.get(q.queue)
    if (!b || seconds <= 0) continue
    out.set(q.queue, { published: Math.max(0, q.published - b.published) / seconds, acked: Math.max(0, q.acked - b.acked) / seconds })
  }
  return out
}

const COLUMNS = ['queue', 'ready', 'inflight', 'delayed', 'published', 'acked', 'redelivered', 'deadLettered'] as const

/** The queues (with pub/s and ack/s columns when `rates` is given), the topics and their bindings, the broker's counts. */
export function statsTable(stats: StatsResult, rates?: Rates): string {
  const header: string[] = [...COLUMNS]
  if (rates) header.push('pub/s', 'ack/s')
  const rows = [header, ...stats.queues.map((q) => {
    const row = COLUMNS.map((c) => String(q[c] ?? 0))
    if (rates) {
      const r = rates.get(q.queue)
      row.push(r ? r.published.toFixed(1) : '-', r ? r.acked.toFixed(1) : '-')
    }
    return row
  })]
  let out = columns(rows)
  if (stats.queues.length === 0) out += '(no queues)\n'
  if (stats.topics !== undefined && stats.topics.length > 0) {
    const topicRows = [['topic', 'bindings'], ...stats.topics.map((t) => [t.topic, t.bindings.length === 0 ? '(none)' : t.bindings.map((b) =>
      b.queue + (b.filter ? ` where ${Object.entries(b.filter).map(([k, v]) => `${k} in ${v.join(',')}`).join(' and ')}` : '')).join('; ')])]
    out += '\n' + columns(topicRows)
  }
  if (stats.connections !== undefined) out += `\nconnections ${stats.connections}, uptime ${stats.uptime ?? 0} s\n`
  return out
}

/** Left-aligned first column, right-aligned numbers; a last text column is left as it is. */
function columns(rows: string[][]): string {
  const count = rows[0]?.length ?? 0
  const widths = Array.from({ length: count }, (_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  const text = count === 2 && rows[0]?.[1] === 'bindings'
  const line = (r: string[]): string => r.map((cell, i) =>
    i === 0 ? cell.padEnd(widths[i] as number) : text ? cell : cell.padStart(widths[i] as number)).join('  ')
  return rows.map(line).join('\n') + '\n'
}
