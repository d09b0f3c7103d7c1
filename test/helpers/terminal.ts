// What a terminal would show for a transcript (from `script`): enough of VT100 for the commands'
// output: \r, \n, ESC[K (erase to end of line), ESC[J (erase below), ESC[nA (cursor up), ESC[nG (column),
// ESC[H (home), ESC[2J (clear); other escape sequences are dropped.
import { spawn } from 'node:child_process'

export function render(transcript: string): string[] {
  const screen: string[] = ['']
  let row = 0
  let col = 0
  const line = (): string => screen[row] ?? ''
  for (let i = 0; i < transcript.length; i++) {
    const ch = transcript[i] as string
    if (ch === '\x1b' && transcript[i + 1] === '[') {
      // eslint-disable-next-line no-control-regex -- a terminal's escape sequences are what this reads
      const m = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(transcript.slice(i))
      if (!m) continue
      i += m[0].length - 1
      const n = Number(m[1] || '1')
      if (m[2] === 'K') screen[row] = line().slice(0, col)
      else if (m[2] === 'J' && m[1] === '2') screen.splice(0, screen.length, '')
      else if (m[2] === 'J') {
        screen.splice(row + 1)
        screen[row] = line().slice(0, col)
      }
      else if (m[2] === 'A') row = Math.max(0, row - n)
      else if (m[2] === 'H') {
        row = 0
        col = 0
      }
      else if (m[2] === 'G') col = n - 1
      continue
    }
    if (ch === '\r') col = 0
    else if (ch === '\n') {
      row++
      col = 0
      while (screen.length <= row) screen.push('')
    } else {
      const current = line().padEnd(col)
      screen[row] = current.slice(0, col) + ch + current.slice(col + 1)
      col++
    }
  }
  while (screen.length > 0 && screen[screen.length - 1] === '') screen.pop()
  return screen
}

/** Runs a shell command under `script`, so its stdout and stderr are a terminal; resolves with the transcript. */
export function underTerminal(
  command: string, env: Record<string, string> = {}, stop?: (output: string) => boolean,
  answer?: { when: RegExp; type: string },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    let answered = false
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
      // Typed on the terminal once the prompt shows, as a person would.
      if (answer && !answered && answer.when.test(output)) {
        answered = true
        child.stdin.write(answer.type)
      }
      if (stop?.(output)) child.kill('SIGINT')
    })
    child.once('exit', (code) => resolve({ code, output }))
  })
}
