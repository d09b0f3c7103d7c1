// hubq queue names -> SQS queues: `prefix + name` (`.fifo` for fifo queues), a name -> URL cache,
// declare as CreateQueue / SetQueueAttributes with the redrive policy for dead letters, and
// `--max-queues` counted over the queues under the prefix.
import {
  CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, SetQueueAttributesCommand,
  type QueueAttributeName, type SQSClient,
} from '@aws-sdk/client-sqs'
import { badRequest, notFound, tooManyQueues } from '../errors.js'
import type { DeclareInput } from '../protocol/store-types.js'
import { fromAws, isNotFound } from './errors.js'
import {
  SQS_MAX_VISIBILITY_SECONDS, SQS_MIN_RETENTION_SECONDS, checkDelay, wholeSeconds,
} from './limits.js'
import { AWS_NAME_PATTERN } from './url.js'

export interface QueueRef {
  /** The hubq name. */
  name: string
  sqsName: string
  url: string
  arn: string
  fifo: boolean
  visibilityTimeout: number
}

/**
 * How long this process trusts its own creations and drops over ListQueues: SQS's listing is
 * eventually consistent (a deleted queue may show for up to 60 s), and a burst of creations must
 * not all see the old count, nor a drop leave no room.
 */
const LISTING_LAG_MS = 60_000

interface RedrivePolicy {
  deadLetterTargetArn?: string
  maxReceiveCount?: number | string
}

/**
 * What counts against `--max-queues` in cloud mode: every SQS queue whose name starts with the
 * prefix (a name and its `.fifo` twin once), whoever created it. SQS is the only shared record,
 * so brokers on the same prefix share one limit, and an empty prefix counts every queue of the
 * account and region. The count is SQS's listing at the moment of creation: within this process
 * creations go one at a time, but two brokers creating at the same moment may pass the limit by
 * one each.
 */
export class QueueDirectory {
  private readonly cache = new Map<string, QueueRef>()
  /** Queues this process created or dropped lately: counted (or not) whatever the listing says. */
  private readonly recent = new Map<string, { at: number; exists: boolean }>()
  /** The tail of the creations that count against the limit, run one after another. */
  private creating: Promise<unknown> = Promise.resolve()

  constructor(private readonly sqs: SQSClient, private readonly prefix: string, private readonly maxQueues = Infinity) {}

  sqsName(name: string, fifo: boolean): string {
    const sqsName = this.prefix + name + (fifo ? '.fifo' : '')
    if (!AWS_NAME_PATTERN.test(name) || sqsName.length > 80) {
      throw badRequest(`queue ${name}: SQS queue names allow only letters, digits, '-' and '_', at most 80 characters with the prefix${fifo ? ' and .fifo' : ''}`)
    }
    return sqsName
  }

  /** The hubq name of an SQS queue of this prefix, or undefined for someone else's queue. */
  hubqName(sqsName: string): string | undefined {
    if (!sqsName.startsWith(this.prefix)) return undefined
    const rest = sqsName.slice(this.prefix.length)
    return rest.endsWith('.fifo') ? rest.slice(0, -5) : rest
  }

  /** The queue was deleted: its URL is stale, and it no longer counts against max-queues. */
  dropped(name: string): void {
    this.cache.delete(name)
    this.recent.set(name, { at: Date.now(), exists: false })
  }

  forgetAll(): void {
    this.cache.clear()
  }

  /** The queue, standard or fifo, or undefined when neither exists. */
  async find(name: string): Promise<QueueRef | undefined> {
    const cached = this.cache.get(name)
    if (cached) return cached
    for (const fifo of [false, true]) {
      const sqsName = this.sqsName(name, fifo)
      let url: string | undefined
      try {
        url = (await this.sqs.send(new GetQueueUrlCommand({ QueueName: sqsName }))).QueueUrl
      } catch (err) {
        if (isNotFound(err)) continue
        throw fromAws(err, 'SQS GetQueueUrl')
      }
      if (url) return this.remember(name, sqsName, url)
    }
    return undefined
  }

  async existing(name: string): Promise<QueueRef> {
    const ref = await this.find(name)
    if (!ref) throw notFound(`queue ${name} does not exist`)
    return ref
  }

  /** Publishing to or receiving from a queue never declared declares it with the defaults. */
  async findOrDeclare(name: string): Promise<QueueRef> {
    return (await this.find(name)) ?? (await this.declare({ queue: name })).ref
  }

  /**
   * `enforceLimit` false: a queue the broker itself needs is made even over max-queues, as on the
   * local store. Here that is the dead-letter queue a declare names: SQS's RedrivePolicy needs its
   * ARN, so it is made at that declare rather than at the first dead-letter move.
   */
  async declare(input: DeclareInput, enforceLimit = true): Promise<{ created: boolean; ref: QueueRef }> {
    const existing = await this.find(input.queue)
    if (existing || !enforceLimit || this.maxQueues === Infinity) return this.apply(input, existing)
    return this.oneAtATime(async () => {
      // Another creation may have made it while this one waited.
      const now = await this.find(input.queue)
      if (!now && (await this.countUpTo(this.maxQueues)) >= this.maxQueues) throw tooManyQueues(this.maxQueues, input.queue)
      return this.apply(input, now)
    })
  }

  /** Every queue URL under the prefix. */
  async urls(): Promise<string[]> {
    const urls: string[] = []
    for await (const page of this.listPages()) urls.push(...page)
    return urls
  }

  /** The queues that count against max-queues; counting stops at `max`, a page of 1000 at a time. */
  private async countUpTo(max: number): Promise<number> {
    const since = Date.now() - LISTING_LAG_MS
    for (const [name, { at }] of this.recent) if (at < since) this.recent.delete(name)
    const names = new Set<string>()
    for (const [name, { exists }] of this.recent) if (exists) names.add(name)
    for await (const page of this.listPages()) {
      for (const url of page) {
        const name = this.hubqName(url.slice(url.lastIndexOf('/') + 1))
        if (name !== undefined && this.recent.get(name)?.exists !== false) names.add(name)
      }
      if (names.size >= max) break
    }
    return names.size
  }

  private async *listPages(): AsyncGenerator<string[]> {
    let token: string | undefined
    do {
      let page
      try {
        page = await this.sqs.send(new ListQueuesCommand({
          MaxResults: 1000, ...(this.prefix ? { QueueNamePrefix: this.prefix } : {}), ...(token ? { NextToken: token } : {}),
        }))
      } catch (err) {
        throw fromAws(err, 'SQS ListQueues')
      }
      yield page.QueueUrls ?? []
      token = page.NextToken
    } while (token)
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.creating.then(work)
    this.creating = run.catch(() => undefined)
    return run
  }

  private async apply(input: DeclareInput, existing: QueueRef | undefined): Promise<{ created: boolean; ref: QueueRef }> {
    if (existing && input.fifo !== undefined && input.fifo !== existing.fifo) {
      throw badRequest(`queue ${input.queue} exists with fifo=${existing.fifo}; drop it first`)
    }
    const fifo = existing?.fifo ?? input.fifo ?? false
    const attributes: Partial<Record<QueueAttributeName, string>> = {}
    if (input.visibilityTimeout !== undefined) {
      attributes.VisibilityTimeout = String(wholeSeconds(input.visibilityTimeout, 'visibilityTimeout', SQS_MAX_VISIBILITY_SECONDS))
    }
    if (input.delay !== undefined) attributes.DelaySeconds = String(checkDelay(input.delay))
    if (input.retention !== undefined) {
      attributes.MessageRetentionPeriod = String(wholeSeconds(input.retention, 'retention', 1_209_600, SQS_MIN_RETENTION_SECONDS))
    }
    if (input.maxReceives !== undefined || input.deadLetter !== undefined) {
      const policy = await this.redrivePolicy(input, existing, fifo)
      if (policy !== undefined) attributes.RedrivePolicy = policy
    }
    if (existing) {
      if (Object.keys(attributes).length > 0) {
        try {
          await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: existing.url, Attributes: attributes }))
        } catch (err) {
          throw fromAws(err, 'SQS SetQueueAttributes')
        }
        if (attributes.VisibilityTimeout !== undefined) existing.visibilityTimeout = Number(attributes.VisibilityTimeout)
      }
      return { created: false, ref: existing }
    }
    if (fifo) attributes.FifoQueue = 'true'
    const sqsName = this.sqsName(input.queue, fifo)
    let url: string | undefined
    try {
      url = (await this.sqs.send(new CreateQueueCommand({ QueueName: sqsName, Attributes: attributes }))).QueueUrl
    } catch (err) {
      throw fromAws(err, 'SQS CreateQueue')
    }
    if (!url) throw fromAws(new Error('no QueueUrl in the reply'), 'SQS CreateQueue')
    this.recent.set(input.queue, { at: Date.now(), exists: true })
    return { created: true, ref: await this.remember(input.queue, sqsName, url) }
  }

  /** All queues dead-lettering into `arn` (the sources a redrive sends messages back to). */
  async sourcesOf(arn: string, urls: string[]): Promise<string[]> {
    const out: string[] = []
    for (const url of urls) {
      const attrs = await this.attributes(url, ['RedrivePolicy'])
      const policy = parsePolicy(attrs.RedrivePolicy)
      if (policy?.deadLetterTargetArn === arn) out.push(url)
    }
    return out
  }

  async attributes(url: string, names: QueueAttributeName[]): Promise<Partial<Record<string, string>>> {
    try {
      return (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }))).Attributes ?? {}
    } catch (err) {
      throw fromAws(err, 'SQS GetQueueAttributes')
    }
  }

  private async redrivePolicy(input: DeclareInput, existing: QueueRef | undefined, fifo: boolean): Promise<string | undefined> {
    const current = existing ? parsePolicy((await this.attributes(existing.url, ['RedrivePolicy'])).RedrivePolicy) : undefined
    const maxReceives = input.maxReceives ?? Number(current?.maxReceiveCount ?? 0)
    let targetArn = current?.deadLetterTargetArn
    if (input.deadLetter !== undefined) {
      if (input.deadLetter === input.queue) throw badRequest('deadLetter must name another queue')
      const target = (await this.find(input.deadLetter)) ?? (await this.declare({ queue: input.deadLetter, fifo }, false)).ref
      if (target.fifo !== fifo) throw badRequest(`deadLetter ${input.deadLetter} must be ${fifo ? 'a fifo' : 'a standard'} queue like ${input.queue} (an SQS rule)`)
      targetArn = target.arn
    }
    // SQS keeps no maxReceives without a dead-letter queue: then messages simply stay, as locally.
    if (maxReceives > 0 && targetArn !== undefined) {
      return JSON.stringify({ deadLetterTargetArn: targetArn, maxReceiveCount: maxReceives })
    }
    return current ? '' : undefined
  }

  private async remember(name: string, sqsName: string, url: string): Promise<QueueRef> {
    const attrs = await this.attributes(url, ['QueueArn', 'VisibilityTimeout', 'FifoQueue'])
    const ref: QueueRef = {
      name, sqsName, url,
      arn: attrs.QueueArn ?? '',
      fifo: attrs.FifoQueue === 'true',
      visibilityTimeout: Number(attrs.VisibilityTimeout ?? 30),
    }
    this.cache.set(name, ref)
    return ref
  }
}

function parsePolicy(text: string | undefined): RedrivePolicy | undefined {
  if (!text) return undefined
  try {
    return JSON.parse(text) as RedrivePolicy
  } catch {
    return undefined
  }
}
