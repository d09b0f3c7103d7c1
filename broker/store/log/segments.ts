// Segment file names and the scan that opens a log folder: which numbered files there are, in order.
import { join } from 'node:path'
import type { LogFs } from './fs.js'

const NAME = /^(\d{16})\.log$/

export function segmentName(id: number): string {
  return `${String(id).padStart(16, '0')}.log`
}

export async function listSegments(fs: LogFs, dir: string): Promise<{ id: number; path: string }[]> {
  const out: { id: number; path: string }[] = []
  for (const name of await fs.readdir(dir)) {
    const match = NAME.exec(name)
    if (match) out.push({ id: Number(match[1]), path: join(dir, name) })
  }
  return out.sort((a, b) => a.id - b.id)
}
