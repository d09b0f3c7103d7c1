// `hubq broker`: start the broker, stop it cleanly on SIGINT/SIGTERM.
import { createLogger } from '../shared/logger.js'
import { BROKER_USAGE, ConfigError, parseBrokerArgs } from './config.js'
import { Broker } from './server.js'
import { createStore } from './store/index.js'

export async function main(args: string[]): Promise<number> {
  let config
  try {
    config = parseBrokerArgs(args)
  } catch (err) {
    process.stderr.write(`hubq broker: ${(err as Error).message}\n\n${BROKER_USAGE}`)
    return 2
  }
  if (config === 'help') {
    process.stdout.write(BROKER_USAGE)
    return 0
  }
  const log = createLogger({ level: config.logLevel as 'info' })
  const store = createStore(config, log)
  log.info({ store: store.description, backend: config.backend, data: config.data }, `hubq store: ${store.description}`)
  const broker = new Broker({ store, limits: config.limits, log })
  const address = await broker.start(config.port, config.host)
  log.info({ ...address, limits: config.limits }, `hubq broker listening on ${address.host}:${address.port}`)
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping: no new connections, answering requests in flight')
      broker.stop().then(resolve, (err: unknown) => {
        log.error({ err }, 'error while stopping')
        resolve()
      })
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  log.info('stopped')
  return 0
}

export { ConfigError }
