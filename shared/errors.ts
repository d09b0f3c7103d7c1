// The one table from error to wire code (PROTOCOL.md §5 "Error codes").
export const ERROR_CODES = [
  'bad_json',
  'bad_request',
  'unknown_op',
  'frame_too_large',
  'message_too_large',
  'not_found',
  'unknown_receipt',
  'unauthorized',
  'forbidden',
  'limit',
  'unavailable',
  'internal',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export class HubqError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HubqError'
    this.code = code
  }

  toWire(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message }
  }
}

export const badRequest = (message: string): HubqError => new HubqError('bad_request', message)
export const notFound = (message: string): HubqError => new HubqError('not_found', message)
/** Creating one queue more than `--max-queues` allows; both stores answer it in these words (PROTOCOL.md §3). */
export const tooManyQueues = (maxQueues: number, queue: string): HubqError =>
  new HubqError('limit', `too many queues (max-queues ${maxQueues}): cannot create ${queue}`)

/** Any thrown value as a HubqError: ours pass through, anything else is `internal`. */
export function toHubqError(err: unknown): HubqError {
  if (err instanceof HubqError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new HubqError('internal', `internal error: ${message}`, { cause: err })
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value)
}
