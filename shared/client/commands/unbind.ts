// `hubq unbind TOPIC QUEUE`: remove a route.
import { nameArgument } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const UNBIND_USAGE = `Usage: hubq unbind TOPIC QUEUE [options]

Stops routing TOPIC's messages to QUEUE. The queue and its messages stay.

${COMMON_HELP}`

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'unbind',
    usage: UNBIND_USAGE,
    positionals: ['TOPIC', 'QUEUE'],
    options: {},
    prepare: (_flags, [t, q]) => {
      const topic = nameArgument('TOPIC', t as string)
      const queue = nameArgument('QUEUE', q as string)
      return async (backend) => {
        await backend.unbind(topic, queue)
        return { json: { topic, queue }, human: `topic ${topic} no longer routes to queue ${queue}` }
      }
    },
  }, args)
}
