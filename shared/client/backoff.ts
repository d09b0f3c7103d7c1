// Jittered exponential backoff, shared by reconnects (milliseconds) and nack delays (seconds).
import { InvalidOptionError } from './errors.js'

export interface BackoffOptions {
  /** The first delay. */
  initial?: number
  /** No delay grows past this. */
  max?: number
  /** Growth per attempt. */
  factor?: number
  /** 0 = no jitter; 1 = anywhere between 0 and the full delay. Spreads out clients that failed together. */
  jitter?: number
}

export interface Backoff {
  initial: number
  max: number
  factor: number
  jitter: number
}

export function backoff(options: BackoffOptions, defaults: Backoff, what: string): Backoff {
  const b = { ...defaults, ...options }
  if (!(Number.isFinite(b.initial) && b.initial >= 0)) throw new InvalidOptionError(`${what}.initial must be a number of at least 0.`)
  if (!(Number.isFinite(b.max) && b.max >= b.initial)) throw new InvalidOptionError(`${what}.max must be a number of at least ${what}.initial.`)
  if (!(Number.isFinite(b.factor) && b.factor >= 1)) throw new InvalidOptionError(`${what}.factor must be a number of at least 1.`)
  if (!(Number.isFinite(b.jitter) && b.jitter >= 0 && b.jitter <= 1)) throw new InvalidOptionError(`${what}.jitter must be a number between 0 and 1.`)
  return b
}

/** The delay before attempt number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const full = Math.min(b.max, b.initial * b.factor ** Math.max(0, attempt))
  return full * (1 - b.jitter * random())
}
