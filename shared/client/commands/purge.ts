// `hubq purge QUEUE`: remove every message of a queue.
import { nameArgument } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const PURGE_USAGE = `Usage: hubq purge QUEUE [options]

Removes every message of QUEUE: ready, in flight and delayed. Prints how many.

${COMMON_HELP}`

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'purge',
    usage: PURGE_USAGE,
    positionals: ['QUEUE'],
    options: {},
    prepare: (_flags, [q]) => {
      const queue = nameArgument('QUEUE', q as string)
      return async (backend) => {
        const purged = await backend.purge(queue)
        return { json: { queue, purged }, human: `${purged} message${purged === 1 ? '' : 's'} purged from ${queue}` }
      }
    },
  }, args)
}
