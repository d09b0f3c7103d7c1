// A broker of our own as a child process on a fresh data dir: started, measured (peak RSS, CPU
// from /proc), stopped. The same command line the peers harness uses, port 0 read from the log.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = join(root, 'dist', 'broker', 'bin.js')

/**
 * Starts `hubq broker` and resolves once it logs that it listens.
 * `nodeArgs` go before the script (e.g. --cpu-prof); `args` after (e.g. --fsync off).
 */
export async function startBroker({ data, args = [], nodeArgs = [], env = {} } = {}) {
  const dir = data ?? mkdtempSync(join(tmpdir(), 'hubq-bench-'))
  const started = performance.now()
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'broker', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--data', dir, '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  })
  const port = await new Promise((resolve, reject) => {
    let text = ''
    const onData = (chunk) => {
      text += chunk
      const match = /broker listening on [^:]+:(\d+)/.exec(text)
      if (match) {
        child.stdout.off('data', onData)
        // Keep draining the log so the broker never blocks on a full pipe.
        child.stdout.resume()
        resolve(Number(match[1]))
      }
    }
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', onData)
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening:\n${text}`)))
  })
  const readyMs = performance.now() - started
  return {
    port,
    dir,
    readyMs,
    pid: child.pid,
    /** Peak RSS (VmHWM) in MB and CPU seconds (user + system) so far. */
    usage() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      // Fields 14 and 15 (utime, stime) are 12 and 13 after the command name.
      const ticks = Number(stat[11]) + Number(stat[12])
      return { peakRssMb: hwm / 1024, rssMb: rss / 1024, cpuS: ticks / 100 }
    },
    async stop({ keep = data !== undefined } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
        await exited
        clearTimeout(timer)
      }
      if (!keep) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A port nothing listens on now (the kernel's pick for port 0, released again). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}
