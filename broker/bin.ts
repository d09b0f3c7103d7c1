#!/usr/bin/env node
// `hubq COMMAND [flags]`: one entry point for the broker and the client commands.
type Command = { describe: string; load: () => Promise<{ main: (args: string[]) => Promise<number> }> }

const commands: Record<string, Command> = {
  broker: { describe: 'run the broker', load: () => import('./cli.js') },
  produce: { describe: 'publish --body or every stdin line to a queue or topic', load: () => import('../producer/command.js') },
  consume: { describe: 'print (or --exec a command for) each delivery, ack when done', load: () => import('../consumer/command.js') },
  stats: { describe: 'queue counts, topics and rates: a table on a terminal, JSON otherwise', load: () => import('../shared/client/stats-command.js') },
  declare: { describe: 'create a queue or change its settings', load: () => import('../shared/client/commands/declare.js') },
  topic: { describe: 'declare a topic', load: () => import('../shared/client/commands/topic.js') },
  bind: { describe: "route a topic's messages to a queue, optionally filtered", load: () => import('../shared/client/commands/bind.js') },
  unbind: { describe: 'remove a route from a topic to a queue', load: () => import('../shared/client/commands/unbind.js') },
  peek: { describe: "print a queue's messages without taking them", load: () => import('../shared/client/commands/peek.js') },
  purge: { describe: 'remove every message of a queue', load: () => import('../shared/client/commands/purge.js') },
  drop: { describe: 'remove a queue and its messages', load: () => import('../shared/client/commands/drop.js') },
  redrive: { describe: "move a dead-letter queue's messages back", load: () => import('../shared/client/commands/redrive.js') },
}

const usage = `Usage: hubq <command> [options]\n\nCommands:\n${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.describe}`)
  .join('\n')}\n\nRun 'hubq <command> --help' for a command's options; 'hubq --version' prints the version.\n`

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage)
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    const { VERSION } = await import('../shared/version.js')
    process.stdout.write(`hubq ${VERSION}\n`)
    return 0
  }
  const command = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined
  if (!command) {
    process.stderr.write(`hubq: unknown command ${JSON.stringify(name)} (see hubq --help)\n`)
    return 2
  }
  return (await command.load()).main(rest)
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`hubq: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
