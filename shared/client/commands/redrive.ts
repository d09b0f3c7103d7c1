// `hubq redrive QUEUE`: move a dead-letter queue's messages back where they died.
import { nameArgument } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const REDRIVE_USAGE = `Usage: hubq redrive QUEUE [options]

Moves the messages of the dead-letter queue QUEUE back to the queues they died in, visible at
once with their receive count reset. Prints how many moved.

${COMMON_HELP}`

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'redrive',
    usage: REDRIVE_USAGE,
    positionals: ['QUEUE'],
    options: {},
    prepare: (_flags, [q]) => {
      const queue = nameArgument('QUEUE', q as string)
      return async (backend) => {
        const moved = await backend.redrive(queue)
        return { json: { queue, moved }, human: `${moved} message${moved === 1 ? '' : 's'} moved back from ${queue}` }
      }
    },
  }, args)
}
