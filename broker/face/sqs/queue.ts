// Finding the queue an SQS request names (by QueueUrl), and what the face keeps about it.
import { HubqError } from '../../../shared/errors.js'
import type { QueueStats } from '../../../shared/protocol/types.js'
import type { Call, Face } from '../context.js'
import { queueDoesNotExist } from '../errors.js'
import { reqString, type Input } from '../params.js'
import type { QueueMeta } from '../state.js'

/** SQS names: 1 to 80 of A-Z a-z 0-9 - _, and `.fifo` at the end of a fifo queue's. */
export const SQS_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/

/** The queue name at the end of a queue URL's path (a bare name is taken as it is). */
export function nameOfUrl(url: string): string {
  const path = url.includes('://') ? safePath(url) : url
  const name = path.split('/').filter((s) => s !== '').pop() ?? ''
  return decodeURIComponent(name)
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}

export function isFifoName(name: string): boolean {
  return name.endsWith('.fifo')
}

export async function queueStats(face: Face, name: string): Promise<QueueStats | undefined> {
  if (!/^[A-Za-z0-9_.-]{1,80}$/.test(name)) return undefined
  try {
    const stats = await face.store.stats(name)
    return stats.queues.find((q) => q.queue === name)
  } catch (err) {
    if (err instanceof HubqError && err.code === 'not_found') return undefined
    throw err
  }
}

/** The queue of `input.QueueUrl`, which must exist (QueueDoesNotExist otherwise). */
export async function existingQueue(input: Input, call: Call): Promise<{ name: string; stats: QueueStats; meta: QueueMeta }> {
  const name = nameOfUrl(reqString(input, 'QueueUrl'))
  const stats = await queueStats(call.face, name)
  if (!stats) throw queueDoesNotExist()
  return { name, stats, meta: metaOf(call.face, name) }
}

/** The face's record of a queue; one made through the hubq protocol gets one on first sight. */
export function metaOf(face: Face, name: string): QueueMeta {
  let meta = face.state.queues.get(name)
  if (!meta) {
    const now = Math.floor(face.now() / 1000)
    meta = { attributes: {}, tags: {}, created: now, modified: now }
    face.state.queues.set(name, meta)
  }
  return meta
}
