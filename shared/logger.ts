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
