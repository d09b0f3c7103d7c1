// The broker as a child process (dist/, built by `npm test`), for tests that kill it with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Frame } from '../helpers/broker.js'

const BIN = fileURLToPath(new URL('../../dist/broker/bin.js', import.meta.url))

export interface ChildBroker {
  child: ChildProcess
  port: number
  /** Every JSON log line so far. */
  lines: Frame[]
  exited: Promise<number | null>
}

export async function spawnBroker(data: string, extra: string[] = []): Promise<ChildBroker> {
  const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--http-port', '0', '--data', data, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Frame[] = []
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Frame
      try {
        entry = JSON.parse(line)
      } catch {
        return
      }
      lines.push(entry)
      const match = /hubq broker listening on .*:(\d+)$/.exec(String(entry.msg))
      if (match) resolve(Number(match[1]))
    })
    exited.then((code) => reject(new Error(`broker exited (${code}) before listening: ${stderr}`)))
  })
  return { child, port, lines, exited }
}
