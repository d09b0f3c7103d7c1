// The peers' servers: what each is, how it is installed, its exact command line, and starting,
// measuring and stopping it by PID on 127.0.0.1 with a fresh data folder and free ports.
// Peak RSS is VmHWM summed over the server's process tree; CPU is user + system of that tree.
import { spawn, execFileSync } from 'node:child_process'
import { accessSync, constants, createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { delimiter, join } from 'node:path'
import { BIN, freePort } from '../broker-process.mjs'

const APT = 'apt-get install -y redis-server beanstalkd rabbitmq-server nats-server'
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'

/**
 * Every peer the runner knows, in the order it runs them. `confirmed` says what a confirmed
 * publish means for it (BENCHMARKS.md shows the same words); `client` names the npm package its
 * adapter needs when that is not the project itself or a few lines over node:net.
 */
export const PEERS = {
  hubq: {
    adapter: 'hubq',
    needs: [],
    confirmed: 'on disk: the publish record fdatasync\'ed (group commit), `--fsync always`',
    command: (dir, port) => [process.execPath, [BIN, 'broker', '--host', '127.0.0.1', '--port', String(port), '--data', dir, '--http-port', '0', '--fsync', 'always']],
  },
  'redis-always': {
    adapter: 'redis',
    needs: ['redis-server'],
    confirmed: 'on disk: `appendfsync always`, fsync batched per event-loop turn before the replies',
    command: (dir, port) => ['redis-server', redisArgs(dir, port, 'always')],
  },
  rabbitmq: {
    adapter: 'rabbitmq',
    needs: [RABBITMQ_SERVER, 'epmd'],
    client: 'amqplib@2.3.1',
    confirmed: 'on disk: persistent messages on a confirm channel, fsync batched',
    // Its ports and folders come from the environment startServer sets.
    command: () => [RABBITMQ_SERVER, []],
  },
  beanstalkd: {
    adapter: 'beanstalkd',
    needs: ['beanstalkd'],
    confirmed: 'on disk: `-f 0`, one fsync per put and per delete, no batching',
    command: (dir, port) => ['beanstalkd', ['-l', '127.0.0.1', '-p', String(port), '-b', dir, '-f', '0']],
  },
  redis: {
    adapter: 'redis',
    needs: ['redis-server'],
    confirmed: 'not yet on disk: `appendfsync everysec` (up to ~1 s lost on a crash)',
    command: (dir, port) => ['redis-server', redisArgs(dir, port, 'everysec')],
  },
  'beanstalkd-f50': {
    adapter: 'beanstalkd',
    needs: ['beanstalkd'],
    confirmed: 'not yet on disk: `-f 50`, fsync at most every 50 ms after the reply',
    command: (dir, port) => ['beanstalkd', ['-l', '127.0.0.1', '-p', String(port), '-b', dir, '-f', '50']],
  },
  nats: {
    adapter: 'nats',
    needs: ['nats-server'],
    client: 'nats@2.29.3',
    confirmed: 'not on disk: JetStream file storage, no fsync seen during a run (2.9)',
    command: (dir, port) => ['nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]],
  },
}

function redisArgs(dir, port, appendfsync) {
  return ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--daemonize', 'no', '--appendonly', 'yes', '--appendfsync', appendfsync]
}

function onPath(name) {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name))
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** What a peer lacks on this machine, each with how to get it; empty when it can run. */
export function missing(peer) {
  return PEERS[peer].needs.filter((bin) => !onPath(bin)).map((bin) => `${bin} not found (${APT})`)
}

/** The installed version of each peer's server, for the results' header. */
export function versions() {
  const ask = (file, args, pattern) => {
    try {
      return pattern.exec(execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1]
    } catch {
      return undefined
    }
  }
  return {
    node: process.version,
    redis: ask('redis-server', ['--version'], /v=(\S+)/),
    beanstalkd: ask('beanstalkd', ['-v'], /beanstalkd (\S+)/),
    // Debian's version without its epoch and packaging suffix: 1:25.2.3+dfsg-1 is Erlang 25.2.3.
    rabbitmq: ask('dpkg-query', ['-W', '-f', '${Version}', 'rabbitmq-server'], /^(?:\d+:)?([^-+~]+)/),
    erlang: ask('dpkg-query', ['-W', '-f', '${Version}', 'erlang-base'], /^(?:\d+:)?([^-+~]+)/),
    nats: ask('nats-server', ['--version'], /: v(\S+)/),
  }
}


const canConnect = (port) => new Promise((resolve) => {
  const socket = connect({ port, host: '127.0.0.1' })
  socket.once('connect', () => {
    socket.destroy()
    resolve(true)
  })
  socket.once('error', () => resolve(false))
})

/** PIDs of `root` and all its descendants, read from /proc. */
function tree(root) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!children.has(ppid)) children.set(ppid, [])
      children.get(ppid).push(Number(entry))
    } catch {
      // gone between readdir and read
    }
  }
  const out = [root]
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []))
  return out
}

let clockTicks
function ticksPerSecond() {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
  } catch {
    clockTicks = 100
  }
  return clockTicks
}

function treeUsage(root) {
  let hwmKb = 0
  let ticks = 0
  for (const pid of tree(root)) {
    try {
      hwmKb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      // utime and stime are fields 14 and 15 of stat: 12 and 13 after the command name.
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // exited meanwhile
    }
  }
  return { peakRssMb: hwmKb / 1024, cpuS: ticks / ticksPerSecond() }
}

function startProcess(file, args, log, env = {}) {
  const out = createWriteStream(log, { flags: 'a' })
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  child.stdout.pipe(out)
  child.stderr.pipe(out)
  return child
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const pids = tree(child.pid)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  const timer = setTimeout(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }, 20_000)
  await exited
  clearTimeout(timer)
}

/**
 * Starts PEER's server on a fresh folder under `dataRoot` and resolves once its port accepts a
 * connection (RabbitMQ takes ~5 s). The result measures the server and stops it.
 */
export async function startServer(peer, dataRoot) {
  const dir = join(dataRoot, peer)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const log = join(dataRoot, `${peer}.log`)
  const port = await freePort()
  const [file, args] = PEERS[peer].command(dir, port)
  let epmd
  let env = {}
  if (peer === 'rabbitmq') {
    // erl would daemonise an epmd of its own, with no PID to stop; run one in the foreground on
    // a free port instead, and keep the node off every other port and config file.
    const epmdPort = await freePort()
    epmd = startProcess('epmd', ['-address', '127.0.0.1', '-port', String(epmdPort)], join(dataRoot, 'epmd.log'))
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n')
    env = {
      HOME: dir,
      ERL_EPMD_PORT: String(epmdPort),
      RABBITMQ_NODENAME: 'bench@localhost',
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(await freePort()),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(dir, 'none'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'none.config'),
    }
  }
  const child = startProcess(file, args, log, env)
  const server = {
    peer,
    port,
    /** Peak RSS (MB) and CPU seconds of the server's process tree so far. */
    usage: () => treeUsage(child.pid),
    async stop() {
      await stopProcess(child)
      if (epmd) await stopProcess(epmd)
    },
  }
  // No event says "accepting connections" for every peer: poll the port, with a deadline.
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await server.stop()
      throw new Error(`${peer} exited before it listened, see ${log}`)
    }
    if (await canConnect(port)) return server
    if (Date.now() > deadline) {
      await server.stop()
      throw new Error(`${peer} did not listen on ${port} within 90 s, see ${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
