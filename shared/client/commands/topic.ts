// `hubq topic TOPIC`: declare a topic (topics are never created by a publish).
import { nameArgument } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const TOPIC_USAGE = `Usage: hubq topic TOPIC [options]

Declares TOPIC. A topic must exist before anything publishes to it or binds a queue to it.

${COMMON_HELP}`

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'topic',
    usage: TOPIC_USAGE,
    positionals: ['TOPIC'],
    options: {},
    prepare: (_flags, [name]) => {
      const topic = nameArgument('TOPIC', name as string)
      return async (backend) => {
        const { created } = await backend.topic(topic)
        return { json: { topic, created }, human: created ? `topic ${topic} created` : `topic ${topic} exists` }
      }
    },
  }, args)
}
