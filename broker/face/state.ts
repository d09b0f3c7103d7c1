// What the face knows that a hubq queue or topic does not hold (PROTOCOL.md §12): the SQS
// attributes as set, tags, creation times, SNS topic attributes and subscriptions. One small JSON
// file beside the log (`sqs-face.json` in the data folder), replaced atomically on each change;
// in memory only with `--data :memory:`. Messages never go here: they live in the store's log.
import { dirname } from 'node:path'
import { makeFolder, nodeFs, syncFolder, type LogFs } from '../store/log/fs.js'

export interface QueueMeta {
  /** SQS attributes as last set by CreateQueue or SetQueueAttributes. */
  attributes: Record<string, string>
  tags: Record<string, string>
  created: number
  modified: number
}

export interface TopicMeta {
  /** SNS attributes as last set by CreateTopic or SetTopicAttributes. */
  attributes: Record<string, string>
  tags: Record<string, string>
  /** Written by older versions for a deleted topic they only hid: dropped at start-up (sns/topic.ts). */
  deleted?: boolean
}

/**
 * An SNS subscription of a queue to a topic, keyed `TOPIC:ID` (its ARN without region and
 * account). A raw subscription whose filter hubq's bind can express is carried by the store's
 * binding (`bound`); any other is delivered by the face on each Publish (PROTOCOL.md §12.8).
 */
export interface SubscriptionMeta {
  topic: string
  queue: string
  /** The subscription attributes as set (RawMessageDelivery, FilterPolicy, FilterPolicyScope, …). */
  attributes: Record<string, string>
  bound: boolean
}

interface StateFile {
  version: 1
  queues: Record<string, QueueMeta>
  topics: Record<string, TopicMeta>
  subscriptions: Record<string, SubscriptionMeta>
}

export class FaceState {
  readonly queues = new Map<string, QueueMeta>()
  readonly topics = new Map<string, TopicMeta>()
  readonly subscriptions = new Map<string, SubscriptionMeta>()
  private writing: Promise<void> = Promise.resolve()

  private constructor(private readonly file: string | undefined, private readonly fs: LogFs) {}

  /** `fs`: the file calls (the log's port, so a test can cut the power between them). */
  static async load(file: string | undefined, fs: LogFs = nodeFs): Promise<FaceState> {
    const state = new FaceState(file, fs)
    if (file === undefined) return state
    let text: string
    try {
      text = (await fs.readFile(file)).toString('utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state
      throw err
    }
    const data = JSON.parse(text) as StateFile
    for (const [k, v] of Object.entries(data.queues ?? {})) state.queues.set(k, v)
    for (const [k, v] of Object.entries(data.topics ?? {})) state.topics.set(k, v)
    for (const [k, v] of Object.entries(data.subscriptions ?? {})) state.subscriptions.set(k, v)
    return state
  }

  /**
   * Writes the whole state: a temp file, fsynced, renamed over the old one, then its folder
   * fsynced so the rename itself is durable (and any folder made for it, in its parent); changes
   * are rare, admin-paced.
   */
  save(): Promise<void> {
    if (this.file === undefined) return Promise.resolve()
    const file = this.file
    const fs = this.fs
    const text = JSON.stringify({
      version: 1,
      queues: Object.fromEntries(this.queues),
      topics: Object.fromEntries(this.topics),
      subscriptions: Object.fromEntries(this.subscriptions),
    } satisfies StateFile)
    const run = async (): Promise<void> => {
      const folder = dirname(file)
      await makeFolder(fs, folder)
      const temp = `${file}.tmp`
      const fd = await fs.open(temp, 'w')
      try {
        await fs.write(fd, Buffer.from(text, 'utf8'), 0)
        await fs.fsync(fd)
      } finally {
        await fs.close(fd)
      }
      await fs.rename(temp, file)
      await syncFolder(fs, folder)
    }
    this.writing = this.writing.then(run, run)
    return this.writing
  }
}
