// The face's settings from the broker's config: the port, whether it was asked for, the state file.
import { join } from 'node:path'
import type { BrokerConfig } from '../config.js'
import type { SqsFaceSettings } from '../server.js'

export const STATE_FILE = 'sqs-face.json'

export function sqsFaceSettings(config: BrokerConfig): { sqs?: SqsFaceSettings } {
  if (config.sqsPort === 0) return {}
  const sqs: SqsFaceSettings = { port: config.sqsPort, host: config.host, required: config.sqsPortExplicit }
  if (config.data !== ':memory:') sqs.stateFile = join(config.data, STATE_FILE)
  return { sqs }
}
