// Brokers with auth, TLS or tight limits on 127.0.0.1:0, and a log that tests can read.
import { Writable } from 'node:stream'
import { Broker, type BrokerOptions } from '../../broker/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal } from '../../broker/store/journal.js'
import { parseAuthFile } from '../../broker/auth/file.js'
import { PRE_AUTH_MAX_FRAME, type AuthSettings } from '../../broker/auth/settings.js'
import { createLogger, type Logger } from '../../shared/logger.js'

export interface HardenedBroker {
  broker: Broker
  store: LocalStore
  port: number
  stop(): Promise<void>
}

export async function startHardened(options: Omit<BrokerOptions, 'store'> & { maxQueues?: number } = {}): Promise<HardenedBroker> {
  const store = new LocalStore({
    journal: new MemoryJournal(),
    ...(options.maxQueues !== undefined ? { maxQueues: options.maxQueues } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  })
  const broker = new Broker({ ...options, store })
  const { port } = await broker.start(0)
  return { broker, store, port, stop: () => broker.stop() }
}

export function authFrom(file: unknown, helloTimeoutMs = 10_000): AuthSettings {
  return { tokens: parseAuthFile(JSON.stringify(file)), helloTimeoutMs, preAuthMaxFrame: PRE_AUTH_MAX_FRAME }
}

/** A debug-level logger whose every line is kept, to assert that no secret reaches the log. */
export function recordingLogger(): { log: Logger; text(): string } {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return { log: createLogger({ level: 'trace', destination }), text: () => lines.join('') }
}
