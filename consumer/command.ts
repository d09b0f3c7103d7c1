// `hubq consume --queue Q [--prefetch N] [--count N] [--exec CMD]`: one JSON line per delivery on
// stdout, acked once written; or CMD run per message (body on stdin), acked when it exits 0.
import { spawn } from 'node:child_process'
import { URL_HELP, UsageError, numberFlag, parseFlags, runCommand, urlFrom } from '../shared/client/command.js'
import type { Message } from '../shared/client/backend.js'
import { Consumer } from './consumer.js'

export const CONSUME_USAGE = `Usage: hubq consume --queue Q [options]

Prints each delivery as one JSON line {mid, queue, body, attrs, receives, publishedAt} and
acks it once printed. With --exec, runs CMD for each message instead, with the body on its
stdin (a string as is, anything else as JSON) and HUBQ_MID, HUBQ_QUEUE, HUBQ_RECEIVES set;
acks when CMD exits 0, nacks (redelivered with backoff) otherwise. Exits 1 when any run of CMD
failed, 0 when every one succeeded (on --count N, or on Ctrl-C).

  --queue Q              the queue to consume
  --prefetch N           deliveries unacked at once (default 16)
  --count N              exit 0 after N messages
  --exec CMD             a shell command to run per message
${URL_HELP}
  -h, --help             this text
`

export function main(args: string[]): Promise<number> {
  return runCommand('consume', CONSUME_USAGE, async () => {
    const flags = parseFlags(args, {
      queue: { type: 'string' },
      prefetch: { type: 'string' },
      count: { type: 'string' },
      exec: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    })
    if (flags.help) {
      process.stdout.write(CONSUME_USAGE)
      return 0
    }
    if (flags.queue === undefined) throw new UsageError('--queue is required')
    const count = numberFlag(flags.count, '--count', 1, Number.MAX_SAFE_INTEGER, true)
    let prefetch = numberFlag(flags.prefetch, '--prefetch', 1, 10_000, true) ?? 16
    // No point holding more than will be handled.
    if (count !== undefined) prefetch = Math.min(prefetch, count)
    const exec = flags.exec

    let started = 0
    let failures = 0
    let consumer: Consumer | undefined
    let stopped: Promise<void> | undefined
    const stop = (): Promise<void> => (stopped ??= (consumer as Consumer).stop())
    consumer = await Consumer.start({
      url: urlFrom(flags.url),
      queue: flags.queue,
      prefetch,
      name: 'hubq-consume',
      handler: async (message) => {
        // stop() right as the last one starts: nothing more is taken, and it waits for this one.
        if (count !== undefined && ++started === count) void stop()
        if (exec !== undefined) await runExec(exec, message)
        else await writeLine(JSON.stringify(deliveryLine(message)) + '\n')
      },
    })
    consumer.on('error', (err) => process.stderr.write(`hubq consume: ${err.message} (${err.code})\n`))
    consumer.on('failed', (message, err, delay) => {
      failures++
      process.stderr.write(`hubq consume: ${message.mid} failed (${err instanceof Error ? err.message : String(err)}); redelivery in ${delay} s\n`)
    })
    process.stdout.on('error', () => void stop())
    const onSignal = (): void => void stop()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    await new Promise<void>((resolve) => consumer.once('stopped', resolve))
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    // Each failed message was nacked and will come again; the exit code says this run was not clean.
    return failures > 0 ? 1 : 0
  })
}

function deliveryLine(m: Message): Record<string, unknown> {
  const line: Record<string, unknown> = { mid: m.mid, queue: m.queue, body: m.body, attrs: m.attrs, receives: m.receives, publishedAt: m.publishedAt }
  if (m.group !== undefined) line.group = m.group
  return line
}

function writeLine(line: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(line, (err) => (err ? reject(err) : resolve())))
}

function runExec(command: string, message: Message): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...process.env, HUBQ_MID: message.mid, HUBQ_QUEUE: message.queue, HUBQ_RECEIVES: String(message.receives) },
    })
    // A command that does not read its stdin is fine.
    child.stdin.on('error', () => {})
    child.stdin.end(typeof message.body === 'string' ? message.body : JSON.stringify(message.body))
    child.once('error', reject)
    child.once('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`${command} ${signal ? `was killed by ${signal}` : `exited with ${code}`}`))
    })
  })
}
