// `hubq declare QUEUE [--fifo] [--visibility-timeout S] [--max-receives N] [--dead-letter Q] [--delay S] [--retention S]`
import type { DeclareOptions } from '../backend.js'
import { nameArgument, numberFlag } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const DECLARE_USAGE = `Usage: hubq declare QUEUE [options]

Creates QUEUE, or changes the settings of the queue that exists (settings left out keep theirs).

  --fifo                     a fifo queue (only when it is created)
  --visibility-timeout S     seconds a delivery stays invisible before it is redelivered (default 30)
  --max-receives N           deliveries before a message moves to --dead-letter (default 0, no limit)
  --dead-letter Q            the dead-letter queue
  --delay S                  seconds every new message waits before it is visible (default 0)
  --retention S              seconds a message is kept (default 345600, 4 days)
${COMMON_HELP}`

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'declare',
    usage: DECLARE_USAGE,
    positionals: ['QUEUE'],
    options: {
      fifo: { type: 'boolean' },
      'visibility-timeout': { type: 'string' },
      'max-receives': { type: 'string' },
      'dead-letter': { type: 'string' },
      delay: { type: 'string' },
      retention: { type: 'string' },
    },
    prepare: (flags, [queue]) => {
      // Types and shapes here; ranges are the broker's to check, so one rule holds for every client.
      const options: DeclareOptions = { queue: nameArgument('QUEUE', queue as string) }
      if (flags.fifo) options.fifo = true
      const seconds = (flag: 'visibility-timeout' | 'delay' | 'retention'): number | undefined =>
        numberFlag(flags[flag], `--${flag}`, 0, Number.MAX_SAFE_INTEGER)
      const visibilityTimeout = seconds('visibility-timeout')
      if (visibilityTimeout !== undefined) options.visibilityTimeout = visibilityTimeout
      const maxReceives = numberFlag(flags['max-receives'], '--max-receives', 0, Number.MAX_SAFE_INTEGER, true)
      if (maxReceives !== undefined) options.maxReceives = maxReceives
      if (flags['dead-letter'] !== undefined) options.deadLetter = nameArgument('--dead-letter', flags['dead-letter'])
      const delay = seconds('delay')
      if (delay !== undefined) options.delay = delay
      const retention = seconds('retention')
      if (retention !== undefined) options.retention = retention
      return async (backend) => {
        const { created } = await backend.declare(options)
        return { json: { queue: options.queue, created }, human: created ? `queue ${options.queue} created` : `queue ${options.queue} updated` }
      }
    },
  }, args)
}
