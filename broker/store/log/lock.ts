// One broker per data folder: two writers appending to the same segment would interleave records.
// The lock file holds the owner's pid; a lock left by a process that no longer runs (kill -9) is
// taken over.
import { join } from 'node:path'
import type { LogFs } from './fs.js'

export const LOCK_FILE = 'LOCK'

export async function lockFolder(fs: LogFs, dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE)
  let holder: number | undefined
  try {
    holder = Number((await fs.readFile(path)).toString().trim())
  } catch {
    holder = undefined
  }
  if (holder !== undefined && Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && running(holder)) {
    throw new Error(`data folder ${dir} is in use by another hubq broker (pid ${holder}); stop it or use another --data`)
  }
  const fd = await fs.open(path, 'w')
  try {
    await fs.write(fd, Buffer.from(`${process.pid}\n`), 0)
  } finally {
    await fs.close(fd)
  }
  return () => fs.unlink(path).catch(() => undefined)
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
