// Reading an action's input: the JSON protocol's shapes, which the query decoder also produces
// (with every scalar still a string). Each reader names the parameter in AWS's words when it fails.
import { invalidParameterValue, missingParameter } from './errors.js'

export type Input = Record<string, unknown>
export type Output = Record<string, unknown>

export function optString(input: Input, key: string): string | undefined {
  const value = input[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidParameterValue(`Value for parameter ${key} must be a string.`)
  return value
}

export function reqString(input: Input, key: string): string {
  const value = optString(input, key)
  if (value === undefined || value === '') throw missingParameter(key)
  return value
}

export function optInt(input: Input, key: string, min: number, max: number): number | undefined {
  const value = input[key]
  if (value === undefined || value === null || value === '') return undefined
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidParameterValue(`Value ${JSON.stringify(value)} for parameter ${key} is invalid. Reason: must be an integer between ${min} and ${max}.`)
  }
  return n
}

export function optBool(input: Input, key: string): boolean | undefined {
  const value = input[key]
  if (value === undefined || value === null) return undefined
  if (value === true || value === 'true') return true
  if (value === false || value === 'false') return false
  throw invalidParameterValue(`Value ${JSON.stringify(value)} for parameter ${key} is invalid. Reason: must be true or false.`)
}

export function optList(input: Input, key: string): unknown[] | undefined {
  const value = input[key]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw invalidParameterValue(`Value for parameter ${key} must be a list.`)
  return value
}

export function stringList(input: Input, key: string): string[] {
  const list = optList(input, key) ?? []
  for (const item of list) if (typeof item !== 'string') throw invalidParameterValue(`Every entry of ${key} must be a string.`)
  return list as string[]
}

/** A map of string to string (queue attributes, tags). */
export function stringMap(input: Input, key: string): Record<string, string> {
  const value = input[key]
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameterValue(`Value for parameter ${key} must be a map.`)
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidParameterValue(`Value of ${key}.${k} must be a string.`)
    out[k] = v
  }
  return out
}

export function objectOf(value: unknown, what: string): Input {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParameterValue(`${what} must be a structure.`)
  return value as Input
}
