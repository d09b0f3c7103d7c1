// The reference model both model-based tests run against (test/queues/model.test.ts over the
// engine alone, test/store/local/model.test.ts over the local store on the durable log): the
// contract's semantics (PROTOCOL.md §6) for the queues a setup declares, and the commands they
// share. A command drives a Target, which each test implements over its real thing; what is its
// own (the fifo queue's publishes, the backlog probe) stays in that test.
import fc from 'fast-check'
import type { ManualClock } from '../../shared/clock.js'
import type { Delivery } from '../../shared/protocol/types.js'

/** The queues a model stands for, as the test declares them. */
export interface ModelSetup {
  /** Every queue compared after each step, the dead-letter queue included. */
  queues: string[]
  visibilityMs: number
  /** queue -> its maxReceives; a release at that count moves the message to `deadLetter`. */
  maxReceives: Record<string, number>
  deadLetter: string
  /** The fifo queue, if any: one message out per group, its first. */
  fifo?: string
  /** The queue with a retention, if any: ready messages older than `ms` are gone. */
  retention?: { queue: string; ms: number }
}

export interface Counts {
  ready: number
  inflight: number
  delayed: number
}

/** The real thing under test, as the shared commands drive it. */
export interface Target {
  clock: ManualClock
  /** Publishes one message and returns its mid. */
  publish(queue: string, bodyJson: string, delaySeconds: number): Promise<string> | string
  receive(queue: string, max: number): Promise<Delivery[]> | Delivery[]
  ack(receipt: string): unknown
  nack(receipt: string, delaySeconds: number): unknown
  touch(receipt: string, seconds: number): unknown
  counts(queue: string): Promise<Counts> | Counts
  /** A stop and a start on what was written. */
  restart(): Promise<void> | void
}

export type Command<T extends Target = Target> = fc.AsyncCommand<Model, T>

export interface ModelMessage {
  queue: string
  body: number
  group: string | undefined
  publishedAt: number
  /** Publish order within the model (ids grow with it). */
  seq: number
  receives: number
  /** Epoch ms it becomes visible (delay, nack delay); in flight until `until` when `receipt` is set. */
  visibleAt: number
  receipt?: string
  until?: number
}

/**
 * How often each rule came into play over all runs of a test file: a model that never reaches one
 * tests nothing of it. Each test asserts the ones its setup can reach.
 */
export const reached = { deadLettered: 0, expired: 0, duplicates: 0, groupsHeld: 0, liveSettles: 0, restarts: 0 }

export class Model {
  readonly messages = new Map<string, ModelMessage>()
  /** dedupId -> the mid it was first published under and when (the fifo queue's window). */
  readonly dedup = new Map<string, { mid: string; at: number }>()
  /** Receipts handed out, live or not: a command may use a stale one. */
  readonly receipts: string[] = []
  private seq = 0
  constructor(readonly setup: ModelSetup, public now: number) {}

  nextSeq(): number {
    return ++this.seq
  }

  add(mid: string, message: Omit<ModelMessage, 'seq' | 'receives' | 'publishedAt'>): void {
    this.messages.set(mid, { ...message, publishedAt: this.now, seq: this.nextSeq(), receives: 0 })
  }

  /** Ready messages past the retention are gone (in flight or delayed ones wait until ready). */
  expire(): void {
    const retention = this.setup.retention
    if (!retention) return
    for (const [mid, m] of this.messages) {
      if (m.queue === retention.queue && m.receipt === undefined && m.visibleAt <= this.now && m.publishedAt <= this.now - retention.ms) {
        this.messages.delete(mid)
        reached.expired++
      }
    }
  }

  inQueue(queue: string): ModelMessage[] {
    return [...this.messages.values()].filter((m) => m.queue === queue)
  }

  visible(queue: string): ModelMessage[] {
    return this.inQueue(queue).filter((m) => m.receipt === undefined && m.visibleAt <= this.now)
  }

  /** The fifo queue's groups that may deliver now, each by its first message: none out, and the first visible. */
  deliverableHeads(queue: string): Map<string, ModelMessage> {
    const byGroup = new Map<string, ModelMessage[]>()
    for (const m of this.inQueue(queue)) {
      const list = byGroup.get(m.group as string) ?? []
      list.push(m)
      byGroup.set(m.group as string, list)
    }
    const heads = new Map<string, ModelMessage>()
    for (const [group, list] of byGroup) {
      if (list.some((m) => m.receipt !== undefined)) continue
      const first = list.sort((a, b) => a.seq - b.seq)[0] as ModelMessage
      if (first.visibleAt <= this.now) heads.set(group, first)
      // Held back by its first message's nack delay, with a later one visible behind it.
      else if (list.some((m) => m.visibleAt <= this.now)) reached.groupsHeld++
    }
    return heads
  }

  counts(queue: string): Counts {
    let ready = 0
    let inflight = 0
    let delayed = 0
    for (const m of this.inQueue(queue)) {
      if (m.receipt !== undefined) inflight++
      else if (m.visibleAt > this.now) delayed++
      else ready++
    }
    return { ready, inflight, delayed }
  }

  byReceipt(receipt: string): [string, ModelMessage] | undefined {
    for (const entry of this.messages) if (entry[1].receipt === receipt) return entry
    return undefined
  }

  /** A release (nack, timeout, restart): back to its queue, or on to the dead letters at maxReceives. */
  release(message: ModelMessage, delayMs: number): void {
    message.receipt = undefined
    message.until = undefined
    const max = this.setup.maxReceives[message.queue]
    if (max !== undefined && message.receives >= max) {
      message.queue = this.setup.deadLetter
      message.visibleAt = 0
      reached.deadLettered++
    } else {
      message.visibleAt = this.now + delayMs
    }
  }

  advance(ms: number): void {
    this.now += ms
    for (const m of this.messages.values()) {
      if (m.receipt !== undefined && (m.until as number) <= this.now) this.release(m, 0)
    }
  }
}

/** Every queue of the setup: the target's counts against the model's, after the model's expiries. */
export async function compare(model: Model, target: Target): Promise<void> {
  model.expire()
  for (const queue of model.setup.queues) {
    const got = await target.counts(queue)
    const expected = model.counts(queue)
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`${queue}: real ${JSON.stringify(got)}, model ${JSON.stringify(expected)}`)
    }
  }
}

let nextBody = 0

/** A new body for a publish: numbers that name messages across all runs. */
export function newBody(): number {
  return nextBody++
}

export class Publish implements Command {
  constructor(readonly queue: string, readonly delaySeconds: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, target: Target): Promise<void> {
    const body = newBody()
    const mid = await target.publish(this.queue, String(body), this.delaySeconds)
    model.add(mid, { queue: this.queue, body, group: undefined, visibleAt: model.now + this.delaySeconds * 1000 })
    await compare(model, target)
  }
  toString(): string {
    return `publish(${this.queue}, delay ${this.delaySeconds})`
  }
}

export class Receive implements Command {
  constructor(readonly queue: string, readonly max: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, target: Target): Promise<void> {
    model.expire()
    const heads = this.queue === model.setup.fifo ? model.deliverableHeads(this.queue) : undefined
    const available = heads ? heads.size : model.visible(this.queue).length
    const got = await target.receive(this.queue, this.max)
    const expected = Math.min(this.max, available)
    if (got.length !== expected) throw new Error(`receive ${this.queue}: got ${got.length}, model has ${available} deliverable (max ${this.max})`)
    const groups = new Set<string>()
    for (const delivery of got) {
      const message = model.messages.get(delivery.mid)
      if (!message || message.queue !== this.queue || message.receipt !== undefined || message.visibleAt > model.now) {
        throw new Error(`receive delivered ${delivery.mid}, which the model does not have visible in ${this.queue}`)
      }
      if (heads) {
        // A fifo group delivers its first message only, and one at a time.
        if (heads.get(message.group as string) !== message) throw new Error(`${delivery.mid} is not the first of group ${message.group}`)
        if (groups.has(message.group as string)) throw new Error(`two messages of group ${message.group} in one receive`)
        groups.add(message.group as string)
      }
      message.receives++
      if (delivery.receives !== message.receives) throw new Error(`receives ${delivery.receives}, model ${message.receives}`)
      if (delivery.bodyJson !== String(message.body)) throw new Error(`body ${delivery.bodyJson}, model ${message.body}`)
      message.receipt = delivery.receipt
      message.until = model.now + model.setup.visibilityMs
      model.receipts.push(delivery.receipt)
    }
    await compare(model, target)
  }
  toString(): string {
    return `receive(${this.queue}, ${this.max})`
  }
}

/**
 * Settles the n-th receipt handed out so far (modulo their number): live or stale. `arg` is the
 * nack's delay or the touch's seconds.
 */
abstract class Settle implements Command {
  constructor(readonly pick: number, readonly arg = 0) {}
  check(model: Readonly<Model>): boolean {
    return model.receipts.length > 0
  }
  async run(model: Model, target: Target): Promise<void> {
    const receipt = model.receipts[this.pick % model.receipts.length] as string
    const held = model.byReceipt(receipt)
    let code: string | undefined
    try {
      await this.settle(target, receipt)
    } catch (err) {
      code = (err as { code?: string }).code
    }
    if (!held) {
      if (code !== 'unknown_receipt') throw new Error(`${this} with a stale receipt: ${code ?? 'ok'}, not unknown_receipt`)
    } else {
      if (code !== undefined) throw new Error(`${this} with a live receipt failed: ${code}`)
      reached.liveSettles++
      this.apply(model, held[0], held[1])
    }
    await compare(model, target)
  }
  abstract settle(target: Target, receipt: string): unknown
  abstract apply(model: Model, mid: string, message: ModelMessage): void
}

export class Ack extends Settle {
  settle(target: Target, receipt: string): unknown {
    return target.ack(receipt)
  }
  apply(model: Model, mid: string): void {
    model.messages.delete(mid)
  }
  override toString(): string {
    return `ack(#${this.pick})`
  }
}

export class Nack extends Settle {
  settle(target: Target, receipt: string): unknown {
    return target.nack(receipt, this.arg)
  }
  apply(model: Model, _mid: string, message: ModelMessage): void {
    model.release(message, this.arg * 1000)
  }
  override toString(): string {
    return `nack(#${this.pick}, delay ${this.arg})`
  }
}

export class Touch extends Settle {
  settle(target: Target, receipt: string): unknown {
    return target.touch(receipt, this.arg)
  }
  apply(model: Model, _mid: string, message: ModelMessage): void {
    if (this.arg === 0) model.release(message, 0)
    else message.until = model.now + this.arg * 1000
  }
  override toString(): string {
    return `touch(#${this.pick}, ${this.arg})`
  }
}

export class Advance implements Command {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, target: Target): Promise<void> {
    target.clock.advance(this.ms)
    model.advance(this.ms)
    await compare(model, target)
  }
  toString(): string {
    return `advance(${this.ms} ms)`
  }
}

/**
 * A stop and a start. A restart releases what was in flight, receive counts kept (PROTOCOL.md §9):
 * visible again, or on to the dead letters once delivered maxReceives times (§6.5); no receipt
 * survives. Delayed messages stay delayed until their time.
 */
export class Restart implements Command {
  check(): boolean {
    return true
  }
  async run(model: Model, target: Target): Promise<void> {
    await target.restart()
    for (const message of model.messages.values()) {
      if (message.receipt !== undefined) model.release(message, 0)
    }
    reached.restarts++
    await compare(model, target)
  }
  toString(): string {
    return 'restart'
  }
}

/** The commands both tests draw from, over the setup's queues; each test adds its own. */
export function sharedCommands(publishTo: string, receiveFrom: string[]): fc.Arbitrary<Command>[] {
  return [
    fc.integer({ min: 0, max: 3 }).map((delay) => new Publish(publishTo, delay === 3 ? 60 : 0)),
    fc.tuple(fc.constantFrom(...receiveFrom), fc.integer({ min: 1, max: 3 })).map(([queue, max]) => new Receive(queue, max)),
    fc.nat().map((pick) => new Ack(pick)),
    fc.tuple(fc.nat(), fc.constantFrom(0, 0, 10)).map(([pick, delay]) => new Nack(pick, delay)),
    fc.tuple(fc.nat(), fc.constantFrom(0, 5, 120)).map(([pick, seconds]) => new Touch(pick, seconds)),
    fc.constantFrom(1_000, 11_000, 31_000, 61_000).map((ms) => new Advance(ms)),
    fc.constant(new Restart()),
  ]
}
