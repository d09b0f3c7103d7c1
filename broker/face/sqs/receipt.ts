// SQS receipt handles: the hubq receipt with the queue it came from, base64url-encoded, so a
// handle that is not one of ours, or is used on another queue, is ReceiptHandleIsInvalid.
import { receiptHandleIsInvalid } from '../errors.js'

export function handleOf(queue: string, receipt: string): string {
  return Buffer.from(`${queue}\n${receipt}`, 'utf8').toString('base64url')
}

/** The store receipt a handle carries, checked against the queue the request names. */
export function receiptOf(handle: unknown, queue: string): string {
  if (typeof handle !== 'string' || handle === '' || handle.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(handle)) {
    throw receiptHandleIsInvalid(typeof handle === 'string' ? handle : '')
  }
  const text = Buffer.from(handle, 'base64url').toString('utf8')
  const cut = text.indexOf('\n')
  if (cut <= 0 || text.slice(0, cut) !== queue || cut === text.length - 1) throw receiptHandleIsInvalid(handle)
  return text.slice(cut + 1)
}
