// The last minutes of every queue's counts, for the console's charts. Sampled only while the
// console is open: a request to /api/overview or /api/queues/NAME takes a sample when the last
// one is at least `intervalMs` old, so a broker nobody watches keeps no timer and (in cloud mode)
// makes no SQS calls for it. Samples share their times, so a token's visible queues add up.
import type { QueueStats } from '../../shared/protocol/types.js'

export interface HistoryOptions {
  /** Milliseconds between samples (default 2000). */
  intervalMs?: number
  /** Samples kept (default 300: ten minutes at 2 s). */
  samples?: number
  /** Queues kept per sample, by name (default 200); past it the rest have no chart. */
  maxQueues?: number
}

/** One queue's (or a sum of queues') series, oldest first; a rate is null where it cannot be known. */
export interface Series {
  /** Milliseconds since the epoch. */
  t: number[]
  ready: (number | null)[]
  inflight: (number | null)[]
  publishRate: (number | null)[]
  ackRate: (number | null)[]
}

type Counts = readonly [ready: number, inflight: number, published: number, acked: number]

interface Sample {
  t: number
  queues: Map<string, Counts>
  /** Every queue is in it (none cut by maxQueues): a queue missing had not been created yet. */
  complete: boolean
}

export class History {
  readonly intervalMs: number
  private readonly limit: number
  private readonly maxQueues: number
  private readonly ring: Sample[] = []
  private sampling: Promise<void> | undefined

  constructor(options: HistoryOptions = {}) {
    this.intervalMs = options.intervalMs ?? 2000
    this.limit = options.samples ?? 300
    this.maxQueues = options.maxQueues ?? 200
  }

  /** Takes a sample from `read()` when one is due; concurrent callers share it. A failed read is skipped. */
  async maybeSample(now: number, read: () => Promise<QueueStats[]> | QueueStats[]): Promise<void> {
    const last = this.ring[this.ring.length - 1]
    if (last && now - last.t < this.intervalMs) return
    this.sampling ??= (async () => {
      try {
        this.record(now, await read())
      } catch {
        // The store could not answer: this sample is a gap in the chart.
      } finally {
        this.sampling = undefined
      }
    })()
    return this.sampling
  }

  record(now: number, stats: readonly QueueStats[]): void {
    const queues = new Map<string, Counts>()
    for (const q of stats) {
      if (queues.size >= this.maxQueues) break
      queues.set(q.queue, [q.ready, q.inflight, q.published, q.acked])
    }
    this.ring.push({ t: now, queues, complete: queues.size === stats.length })
    if (this.ring.length > this.limit) this.ring.shift()
  }

  /** The sum of the named queues' series (one queue: its own). */
  series(names: readonly string[]): Series {
    const out: Series = { t: [], ready: [], inflight: [], publishRate: [], ackRate: [] }
    let previous: Sample | undefined
    for (const sample of this.ring) {
      out.t.push(sample.t)
      const now = sum(sample, names)
      // A queue created since the sample before counted from zero; one cut from it, unknown.
      const before = previous ? (sum(previous, names) ?? (previous.complete ? ZERO : undefined)) : undefined
      const seconds = previous ? (sample.t - previous.t) / 1000 : 0
      out.ready.push(now ? now[0] : null)
      out.inflight.push(now ? now[1] : null)
      // A counter that fell (the queue was dropped and declared again) gives no rate.
      const rate = (i: 2 | 3): number | null =>
        now && before && seconds > 0 && now[i] >= before[i] ? round((now[i] - before[i]) / seconds) : null
      out.publishRate.push(rate(2))
      out.ackRate.push(rate(3))
      previous = sample
    }
    return out
  }
}

const ZERO: Counts = [0, 0, 0, 0]

function sum(sample: Sample, names: readonly string[]): Counts | undefined {
  let found = false
  const total = [0, 0, 0, 0]
  for (const name of names) {
    const counts = sample.queues.get(name)
    if (!counts) continue
    found = true
    for (let i = 0; i < 4; i++) total[i] = (total[i] as number) + (counts[i] as number)
  }
  return found ? (total as unknown as Counts) : undefined
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
