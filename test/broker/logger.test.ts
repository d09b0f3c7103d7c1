// The broker's log: readable lines on a terminal, one JSON object per line otherwise.
import t from 'tap'
import { spawn } from 'node:child_process'

const broker = 'node dist/broker/bin.js broker --port 0 --http-port 0 --data :memory:'

/** Runs the command in its own process group until its output says it listens, then stops it. */
function untilListening(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (/listening on/.test(out)) process.kill(-(child.pid as number), 'SIGTERM')
    })
    child.once('error', reject)
    child.once('exit', () => resolve(out))
  })
}

t.test('JSON lines when stdout is not a terminal', async (t) => {
  const out = await untilListening('sh', ['-c', broker])
  const first = JSON.parse(out.split('\n')[0] as string) as Record<string, unknown>
  t.match(first, { level: 30, msg: /hubq store: local/ })
})

t.test('readable lines on a terminal (script gives the broker a pseudo-terminal)', async (t) => {
  const out = await untilListening('script', ['-qec', broker, '/dev/null'])
  t.match(out, /INFO.*hubq store: local/)
  t.match(out, /INFO.*hubq broker listening on 127\.0\.0\.1:\d+/)
  t.notMatch(out, /"level":30/, 'no JSON on a terminal')
})
