// Option checks with precise messages, for the libraries and the commands alike.
import { InvalidOptionError } from './errors.js'
import { NAME_PATTERN } from '../protocol/requests.js'

export function integerOption(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`${name} must be an integer between ${min} and ${max}.`)
  }
  return value
}

export function numberOption(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(`${name} must be a number between ${min} and ${max}.`)
  }
  return value
}

export function nameOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new InvalidOptionError(`${name} must be 1 to 80 characters of letters, digits, '-', '_' or '.'.`)
  }
  return value
}
