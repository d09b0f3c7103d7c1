// `hubq drop QUEUE [--yes]`: remove a queue with its messages; asks first on a terminal.
import { createInterface } from 'node:readline/promises'
import { UsageError, nameArgument } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const DROP_USAGE = `Usage: hubq drop QUEUE [--yes] [options]

Removes QUEUE with its messages, its bindings to topics and its subscriptions. On a terminal it
asks first; otherwise --yes is required.

  -y, --yes                  drop without asking
${COMMON_HELP}`

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'drop',
    usage: DROP_USAGE,
    positionals: ['QUEUE'],
    options: { yes: { type: 'boolean', short: 'y' } },
    prepare: (flags, [q]) => {
      const queue = nameArgument('QUEUE', q as string)
      if (!flags.yes && !process.stdin.isTTY) throw new UsageError('drop needs --yes when stdin is not a terminal')
      return async (backend) => {
        if (!flags.yes) {
          // The counts first: an unknown queue is refused before anyone is asked anything.
          const stats = (await backend.stats(queue)).queues[0]
          const count = stats ? stats.ready + stats.inflight + stats.delayed : 0
          const answer = await ask(`drop queue ${queue} and its ${count} message${count === 1 ? '' : 's'}? [y/N] `)
          if (!/^y(es)?$/i.test(answer.trim())) {
            process.stderr.write(`hubq drop: ${queue} kept\n`)
            return 1
          }
        }
        await backend.drop(queue)
        return { json: { queue, dropped: true }, human: `queue ${queue} dropped` }
      }
    },
  }, args)
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return await rl.question(question)
  } finally {
    rl.close()
  }
}
