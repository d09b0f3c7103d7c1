// hubq/producer: the public face of the producer library.
export { Producer, type ProducerOptions, type PublishOptions, type Target } from './producer.js'
export { HubqError, InvalidOptionError, ConnectionError } from '../shared/client/errors.js'
export type { ClientBackend, PublishTarget } from '../shared/client/backend.js'
