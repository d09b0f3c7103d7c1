// §4.10 touch: extend (or shorten) a delivery's visibility timeout.
import { number, string } from '../../shared/protocol/requests.js'
import type { Handler } from './types.js'
import type { Rule } from '../auth/permissions.js'

/** PROTOCOL.md §7.3: consume on the receipt's queue. */
export const touchRule: Rule = { right: 'consume', receipts: true }

export const touch: Handler = (request, session) => {
  const receipt = string(request, 'receipt', 1024)
  const timeout = number(request, 'timeout', 0, 43_200)
  return session.store.touch(receipt, timeout)
}
