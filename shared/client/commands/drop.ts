// `hubq drop NAME [--topic] [--yes]`: remove a queue with its messages, or a topic with its
// bindings; asks first on a terminal.
import { createInterface } from 'node:readline/promises'
import { UsageError, nameArgument } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const DROP_USAGE = `Usage: hubq drop NAME [--topic] [--yes] [options]

Removes the queue NAME with its messages, its bindings to topics and its subscriptions; with
--topic, the topic NAME and its bindings (the queues keep their messages). On a terminal it asks
first; otherwise --yes is required.

      --topic                NAME is a topic
  -y, --yes                  drop without asking
${COMMON_HELP}`

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'drop',
    usage: DROP_USAGE,
    positionals: ['NAME'],
    options: { yes: { type: 'boolean', short: 'y' }, topic: { type: 'boolean' } },
    prepare: (flags, [q]) => {
      const queue = nameArgument('NAME', q as string)
      if (!flags.yes && !process.stdin.isTTY) throw new UsageError('drop needs --yes when stdin is not a terminal')
      if (flags.topic) {
        const topic = queue
        return async (backend) => {
          if (!flags.yes && !/^y(es)?$/i.test((await ask(`drop topic ${topic} and its bindings? [y/N] `)).trim())) {
            process.stderr.write(`hubq drop: ${topic} kept\n`)
            return 1
          }
          await backend.dropTopic(topic)
          return { json: { topic, dropped: true }, human: `topic ${topic} dropped` }
        }
      }
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
