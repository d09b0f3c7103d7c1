// hubq/consumer: the public face of the consumer library.
export { Consumer, type ConsumerOptions, type ConsumerEvents, type Handler } from './consumer.js'
export { HubqError, InvalidOptionError, ConnectionError } from '../shared/client/errors.js'
export type { ClientBackend, Message, DeclareOptions } from '../shared/client/backend.js'
export type { BackoffOptions } from '../shared/client/backoff.js'
