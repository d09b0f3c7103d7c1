// `hubq peek QUEUE [--state ready|inflight|delayed] [--max N]`: one JSON line per message.
import type { PeekState } from '../../protocol/types.js'
import { UsageError, nameArgument, numberFlag } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const PEEK_USAGE = `Usage: hubq peek QUEUE [options]

Prints messages of QUEUE without changing anything (no delivery, no receive count), one JSON
line each {mid, queue, body, attrs, receives, publishedAt}, oldest first. Not available with
sqs:// (SQS cannot show a message without receiving it).

  --state S                  ready (default), inflight or delayed
  --max N                    at most N messages (default 10, at most the broker's max-batch)
${COMMON_HELP}`

const STATES: readonly string[] = ['ready', 'inflight', 'delayed']

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'peek',
    usage: PEEK_USAGE,
    positionals: ['QUEUE'],
    options: { state: { type: 'string' }, max: { type: 'string' } },
    prepare: (flags, [q]) => {
      const queue = nameArgument('QUEUE', q as string)
      if (flags.state !== undefined && !STATES.includes(flags.state)) {
        throw new UsageError(`--state must be ready, inflight or delayed (got ${JSON.stringify(flags.state)})`)
      }
      const state = (flags.state ?? 'ready') as PeekState
      const max = numberFlag(flags.max, '--max', 1, Number.MAX_SAFE_INTEGER, true) ?? 10
      return async (backend) => {
        const messages = await backend.peek(queue, state, max)
        // One line per message on a terminal too: a message is data, not a sentence.
        for (const m of messages) process.stdout.write(JSON.stringify(m) + '\n')
        return undefined
      }
    },
  }, args)
}
