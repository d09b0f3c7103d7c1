// §4.9 nack: release a message now, or after `delay` seconds.
import { number, string } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: consume on the receipt's queue. */
export const nackRule: Rule = { right: 'consume', receipts: true }

export const nack: Handler = (request, session) => {
  const receipt = string(request, 'receipt', 1024)
  const delay = number(request, 'delay', 0, 43_200, 0)
  return session.store.nack(receipt, delay)
}
