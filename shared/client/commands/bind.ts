// `hubq bind TOPIC QUEUE [--filter ATTR=V1,V2]...`: route a topic's messages to a queue.
import { UsageError, nameArgument } from '../command.js'
import { COMMON_HELP, adminMain } from './admin.js'

export const BIND_USAGE = `Usage: hubq bind TOPIC QUEUE [--filter ATTR=V1,V2]... [options]

Routes TOPIC's messages to QUEUE (created with the defaults if new). Binding again replaces the
filter. With filters, only messages whose attrs match every one are routed: ATTR must be one of
the listed values.

  --filter ATTR=V1,V2        an attribute and its allowed values; repeat for more attributes
${COMMON_HELP}`

export function parseFilters(pairs: string[]): Record<string, string[]> {
  const filter: Record<string, string[]> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const values = pair.slice(eq + 1).split(',')
    if (eq <= 0 || values.some((v) => v === '')) throw new UsageError(`--filter must look like ATTR=V1,V2 (got ${JSON.stringify(pair)})`)
    const attr = pair.slice(0, eq)
    filter[attr] = [...(filter[attr] ?? []), ...values]
  }
  return filter
}

export function main(args: string[]): Promise<number> {
  return adminMain({
    name: 'bind',
    usage: BIND_USAGE,
    positionals: ['TOPIC', 'QUEUE'],
    options: { filter: { type: 'string', multiple: true } },
    prepare: (flags, [t, q]) => {
      const topic = nameArgument('TOPIC', t as string)
      const queue = nameArgument('QUEUE', q as string)
      const filter = flags.filter ? parseFilters(flags.filter) : undefined
      return async (backend) => {
        await backend.bind(topic, queue, filter)
        const shown = filter ? ` where ${Object.entries(filter).map(([k, v]) => `${k} in ${v.join(',')}`).join(' and ')}` : ''
        return { json: { topic, queue, ...(filter ? { filter } : {}) }, human: `topic ${topic} routes to queue ${queue}${shown}` }
      }
    },
  }, args)
}
