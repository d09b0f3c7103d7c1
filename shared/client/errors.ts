// Errors the client libraries throw. Every one is a HubqError, so `err.code` is always a wire code
// from the contract, whether the broker refused a request or the client found the problem itself.
import { HubqError, isErrorCode } from '../errors.js'

export { HubqError }

/** An option given to Producer, Consumer or a command is out of range or of the wrong type. */
export class InvalidOptionError extends HubqError {
  constructor(message: string) {
    super('bad_request', message)
    this.name = 'InvalidOptionError'
  }
}

/** The broker cannot be reached, or the connection closed before it answered. */
export class ConnectionError extends HubqError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options)
    this.name = 'ConnectionError'
  }
}

/** An error reply from the broker as a HubqError with the broker's code and message. */
export function fromWire(error: unknown): HubqError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown }
  const message = typeof e.message === 'string' ? e.message : 'the broker refused the request'
  return new HubqError(isErrorCode(e.code) ? e.code : 'internal', message)
}
