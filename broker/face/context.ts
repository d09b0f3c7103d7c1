// What every action of the face is handed: the broker's store and limits, the face's own state,
// and the call (who asked, and a signal that ends long polls when the client goes or the face stops).
import type { Limits } from '../../shared/protocol/requests.js'
import type { Logger } from '../../shared/logger.js'
import type { MessageStore, Owner } from '../store/types.js'
import type { Principal } from '../auth/principal.js'
import type { TokenTable } from '../auth/tokens.js'
import type { Caller } from './caller.js'
import type { FaceState } from './state.js'
import type { Input, Output } from './params.js'

export interface Face {
  store: MessageStore
  state: FaceState
  limits: Limits
  log: Logger
  /** The one owner of every face delivery: HTTP has no connection whose close would release them. */
  owner: Owner
  /** Per-face memory that need not survive a restart (receive attempts, move tasks). */
  memo: Map<string, unknown>
  /** Long polls parked in the store now. */
  polls: number
  /** With auth on: the tokens whose names are access key ids (PROTOCOL.md §12 "Auth"). */
  tokens?: TokenTable
  /** The broker's clock, milliseconds since the epoch: timestamps, windows, signature dates. */
  now(): number
}

export interface Call {
  face: Face
  caller: Caller
  signal: AbortSignal
  /** With auth on: whose signature the request carries. */
  principal?: Principal
}

export type Action = (input: Input, call: Call) => Promise<Output>

/** The face's memo entry `key`, made by `make` on first use. */
export function memo<T>(face: Face, key: string, make: () => T): T {
  let value = face.memo.get(key) as T | undefined
  if (value === undefined) {
    value = make()
    face.memo.set(key, value)
  }
  return value
}
