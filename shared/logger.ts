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
 * The broker command's logger: readable lines when stdout is a terminal and the optional
 * pino-pretty is installed (a dev dependency), one JSON object per line otherwise.
 */
export async function createCommandLogger(level: Level | 'silent', pretty = process.stdout.isTTY === true): Promise<Logger> {
  if (pretty) {
    try {
      const { default: prettyStream } = await import('pino-pretty')
      return createLogger({ level, destination: prettyStream({ sync: true, colorize: true, singleLine: true, ignore: 'pid,hostname,name', translateTime: 'SYS:HH:MM:ss.l' }) })
    } catch {
      // Not installed (a production install): JSON lines are still readable enough.
    }
  }
  return createLogger({ level })
}
