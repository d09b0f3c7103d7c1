// `hubq produce (--queue Q | --topic T) [--body TEXT] [--attr k=v]... [--delay S] [--group G]`:
// publishes --body once, or every line of stdin as one message, and prints each mid in order.
import { createInterface } from 'node:readline'
import { URL_HELP, UsageError, numberFlag, parseFlags, runCommand, urlFrom } from '../shared/client/command.js'
import { Producer, type PublishOptions, type Target } from './producer.js'

export const PRODUCE_USAGE = `Usage: hubq produce (--queue Q | --topic T) [options]

Without --body, every line of stdin is one message: a line that parses as JSON is sent as
that JSON value, any other line as a string (blank lines are skipped). Prints each mid.

  --queue Q              publish to this queue (declared with defaults if new)
  --topic T              publish to this topic instead
  --body TEXT            publish one message (JSON if it parses, else the text)
  --attr k=v             an attribute; repeat for more
  --delay S              seconds before the messages become visible
  --group G              fifo queues: the ordering group
  --dedup-id ID          fifo queues: drop repeats of this id (with --body)
  --window N             most messages unconfirmed at once (default 1000)
${URL_HELP}
  -h, --help             this text
`

export function main(args: string[]): Promise<number> {
  return runCommand('produce', PRODUCE_USAGE, async () => {
    const flags = parseFlags(args, {
      queue: { type: 'string' },
      topic: { type: 'string' },
      body: { type: 'string' },
      attr: { type: 'string', multiple: true },
      delay: { type: 'string' },
      group: { type: 'string' },
      'dedup-id': { type: 'string' },
      window: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    })
    if (flags.help) {
      process.stdout.write(PRODUCE_USAGE)
      return 0
    }
    if ((flags.queue === undefined) === (flags.topic === undefined)) throw new UsageError('give exactly one of --queue or --topic')
    const target: Target = flags.queue !== undefined ? { queue: flags.queue } : { topic: flags.topic as string }
    const options: PublishOptions = {}
    if (flags.attr) options.attrs = parseAttrs(flags.attr)
    const delay = numberFlag(flags.delay, '--delay', 0, 365 * 86_400)
    if (delay !== undefined) options.delay = delay
    if (flags.group !== undefined) options.group = flags.group
    if (flags['dedup-id'] !== undefined) options.dedupId = flags['dedup-id']
    const window = numberFlag(flags.window, '--window', 1, 100_000, true)

    const producer = await Producer.connect({ url: urlFrom(flags.url), batch: true, name: 'hubq-produce', ...(window ? { window } : {}) })
    try {
      if (flags.body !== undefined) {
        process.stdout.write((await producer.publish(target, parseLine(flags.body), options)) + '\n')
        return 0
      }
      return await publishLines(producer, target, options)
    } finally {
      await producer.close()
    }
  })
}

export function parseLine(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return line
  }
}

function parseAttrs(pairs: string[]): Record<string, string> {
  const attrs: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--attr must look like key=value (got ${JSON.stringify(pair)})`)
    attrs[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return attrs
}

async function publishLines(producer: Producer, target: Target, options: PublishOptions): Promise<number> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  const progress = process.stderr.isTTY ? startProgress(process.stdout.isTTY === true) : undefined
  let failure: unknown
  // Mids print in input order: each waits for the one before it.
  let printed: Promise<void> = Promise.resolve()
  for await (const line of lines) {
    if (failure !== undefined) break
    if (line.trim() === '') continue
    const confirmed = producer.publish(target, parseLine(line), options).then(
      (mid) => {
        if (progress) progress.count++
        return mid
      },
      (err: unknown) => {
        failure ??= err
        return undefined
      },
    )
    printed = printed.then(() => confirmed).then((mid) => {
      if (mid === undefined) return
      if (progress) progress.print(mid)
      else process.stdout.write(mid + '\n')
    })
    // Reading waits while the window is full: memory stays bounded however long stdin is.
    await producer.writable()
  }
  lines.close()
  await printed
  progress?.stop()
  if (failure !== undefined) throw failure
  return 0
}

/**
 * The progress line on stderr. When stdout is the same terminal, each mid is printed over the
 * progress line (erased first) and the line is drawn again below it, so the two never share a line.
 */
function startProgress(sharesTerminal: boolean): { count: number; print(mid: string): void; stop(): void } {
  const started = Date.now()
  let drawn = false
  const state = {
    count: 0,
    print: (mid: string) => {
      if (!sharesTerminal) return void process.stdout.write(mid + '\n')
      if (drawn) process.stderr.write('\r\x1b[K')
      process.stdout.write(mid + '\n')
      draw()
    },
    stop: () => {},
  }
  const draw = (): void => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000)
    process.stderr.write(`\r\x1b[K${state.count} published, ${Math.round(state.count / seconds)}/s`)
    drawn = true
  }
  const timer = setInterval(draw, 250)
  state.stop = () => {
    clearInterval(timer)
    draw()
    process.stderr.write('\n')
  }
  return state
}
