import { pino, type Logger, type DestinationStream, type Level } from 'pino'

export type { Logger }

export interface LoggerOptions {
  level?: Level | 'silent'
  /** Where lines go; tests pass a stream and assert on fields. Default: stdout. */
  destination?: DestinationStream
  name?: string
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', name: options.name ?? 'hubq' }
  return options.destination ? pino(base, options.destination) : pino(base)
}

export const silentLogger: Logger = pino({ level: 'silent' })

/**
 * The broker command's logger: readable lines when stdout is a terminal (formatted here, so an
 * installed package needs nothing more), one JSON object per line otherwise.
 */
export async function createCommandLogger(level: Level | 'silent', pretty = process.stdout.isTTY === true): Promise<Logger> {
  if (!pretty) return createLogger({ level })
  const colors = process.stdout.hasColors?.() === true
  return createLogger({ level, destination: { write: (line: string) => void process.stdout.write(readableLine(line, colors)) } })
}

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '90'], 20: ['DEBUG', '36'], 30: ['INFO', '32'], 40: ['WARN', '33'], 50: ['ERROR', '31'], 60: ['FATAL', '35'],
}

/** One pino JSON line as `HH:MM:SS.mmm LEVEL message key=value …`, an error's stack on the lines below. */
export function readableLine(json: string, colors = false): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const { level, time, msg, pid: _pid, hostname: _hostname, name: _name, err, ...fields } = entry
  const [label, color] = LEVELS[level as number] ?? [String(level), '0']
  const at = new Date(typeof time === 'number' ? time : Date.now())
  const clock = [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':') +
    '.' + String(at.getMilliseconds()).padStart(3, '0')
  const shown = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`)
  const stack = typeof (err as { stack?: unknown } | undefined)?.stack === 'string' ? '\n    ' + (err as { stack: string }).stack.split('\n').join('\n    ') : ''
  const head = colors ? `\x1b[${color}m${label.padEnd(5)}\x1b[0m` : label.padEnd(5)
  return `${clock} ${head} ${String(msg ?? '')}${shown.length ? ' ' + (colors ? `\x1b[2m${shown.join(' ')}\x1b[0m` : shown.join(' ')) : ''}${stack}\n`
}
