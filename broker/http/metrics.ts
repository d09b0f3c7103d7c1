// The broker's Prometheus metrics (README "Metrics"). One Registry per broker, not prom-client's
// global one, so a process (a test) can run several brokers. Nothing here runs per message:
// queue counts are read from store.stats() when scraped, bytes from the sockets' own counters,
// and the two histograms take one observation per publish request and per fsync.
import type { Duplex } from 'node:stream'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { MessageStore, QueueInspection, StoreStats } from '../store/types.js'
import { systemClock, type Clock } from '../../shared/clock.js'
import type { BrokerMetricsSink } from '../server.js'
import { VERSION } from '../../shared/version.js'

/**
 * What the durable log calls after each fsync it waited for (one call per group commit).
 * Optional: a store without fsyncs never calls it, and the histogram stays at zero.
 */
export interface FsyncObserver {
  onFsync(seconds: number): void
}

// Publish-to-confirm spans a memory append (microseconds) up to a slow disk's fsync.
const CONFIRM_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

/** A socket's own byte counters (net.Socket has them; a bare Duplex in a unit test may not). */
interface CountingStream {
  bytesRead?: number
  bytesWritten?: number
}

export class BrokerMetrics implements BrokerMetricsSink, FsyncObserver {
  readonly registry = new Registry()
  private store: MessageStore | undefined
  /** Open connections; their bytes are read from the sockets at scrape time. */
  private readonly open = new Set<Duplex>()
  private closedBytesIn = 0
  private closedBytesOut = 0
  /** One store.stats() per scrape, shared by every metric collected in that scrape. */
  private statsInFlight: Promise<Snapshot | undefined> | undefined
  private readonly clock: Clock
  private readonly connectionsOpened: Counter
  private readonly publishConfirm: Histogram
  private readonly fsync: Histogram

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    new Gauge({ name: 'hubq_build_info', help: 'Always 1; the version label says which hubq runs', labelNames: ['version'], registers })
      .set({ version: VERSION }, 1)

    const perQueue = (name: string, help: string, field: QueueCount, type: typeof Gauge | typeof Counter): void => {
      const metrics = this
      new type({
        name, help, labelNames: ['queue'], registers,
        async collect() {
          const stats = await metrics.snapshot()
          this.reset()
          for (const q of stats?.queues ?? []) setValue(this, { queue: q.queue }, q[field])
        },
      })
    }
    perQueue('hubq_queue_ready_messages', 'Messages ready to be received', 'ready', Gauge)
    perQueue('hubq_queue_inflight_messages', 'Messages received and not yet acked (in flight)', 'inflight', Gauge)
    perQueue('hubq_queue_delayed_messages', 'Messages waiting for their delay to pass', 'delayed', Gauge)
    perQueue('hubq_queue_published_total', 'Messages published to the queue (directly or through a topic)', 'published', Counter)
    perQueue('hubq_queue_acked_total', 'Messages acked on the queue', 'acked', Counter)
    perQueue('hubq_queue_redelivered_total', 'Deliveries of messages received before (receives > 1)', 'redelivered', Counter)
    perQueue('hubq_queue_dead_lettered_total', 'Messages moved from the queue to its dead-letter queue', 'deadLettered', Counter)

    const metrics = this
    new Gauge({
      name: 'hubq_queue_oldest_ready_age_seconds',
      help: 'Seconds since the oldest ready message was published; 0 when none is ready (absent when the backend cannot tell)',
      labelNames: ['queue'], registers,
      async collect() {
        const snap = await metrics.snapshot()
        this.reset()
        const now = metrics.clock.now()
        for (const q of snap?.queues ?? []) {
          const inspection = snap?.inspections.get(q.queue)
          if (!inspection) continue
          if (inspection.oldestReadyAt !== undefined) this.set({ queue: q.queue }, Math.max(0, (now - inspection.oldestReadyAt) / 1000))
          else if (q.ready === 0) this.set({ queue: q.queue }, 0)
        }
      },
    })
    new Gauge({
      name: 'hubq_queue_consumers', help: 'Subscriptions on the queue now', labelNames: ['queue'], registers,
      async collect() {
        const snap = await metrics.snapshot()
        this.reset()
        for (const [queue, inspection] of snap?.inspections ?? []) this.set({ queue }, inspection.consumers.length)
      },
    })
    new Gauge({
      name: 'hubq_subscription_unacked_messages',
      help: 'Deliveries pushed to the subscription and not yet acked (at most its prefetch)',
      labelNames: ['queue', 'subscription', 'connection'], registers,
      async collect() {
        const snap = await metrics.snapshot()
        this.reset()
        for (const [queue, inspection] of snap?.inspections ?? []) {
          for (const c of inspection.consumers) {
            if (c.unacked !== undefined) this.set({ queue, subscription: c.subscription, connection: String(c.owner) }, c.unacked)
          }
        }
      },
    })
    new Gauge({
      name: 'hubq_topic_bindings', help: 'Queues bound to the topic', labelNames: ['topic'], registers,
      async collect() {
        const stats = await metrics.snapshot()
        this.reset()
        for (const t of stats?.topics ?? []) this.set({ topic: t.topic }, t.bindings.length)
      },
    })
    new Gauge({
      name: 'hubq_store_healthy', help: '1 while the store takes writes, 0 when it cannot (disk full, backend down)', registers,
      collect() {
        this.set(metrics.store?.healthy() ? 1 : 0)
      },
    })
    new Gauge({
      name: 'hubq_connections', help: 'Client connections open now', registers,
      collect() {
        this.set(metrics.open.size)
      },
    })
    this.connectionsOpened = new Counter({ name: 'hubq_connections_opened_total', help: 'Client connections accepted since start', registers })
    new Counter({
      name: 'hubq_received_bytes_total', help: 'Bytes read from client connections', registers,
      collect() {
        this.reset()
        this.inc(metrics.bytes().in)
      },
    })
    new Counter({
      name: 'hubq_sent_bytes_total', help: 'Bytes written to client connections', registers,
      collect() {
        this.reset()
        this.inc(metrics.bytes().out)
      },
    })
    this.publishConfirm = new Histogram({
      name: 'hubq_publish_confirm_seconds',
      help: 'Time from a publish request (one message or a batch) to its confirm; includes the fsync under --fsync always',
      buckets: CONFIRM_BUCKETS, registers,
    })
    this.fsync = new Histogram({
      name: 'hubq_fsync_duration_seconds',
      help: 'Duration of each fsync of the durable log (one per group commit); _count is the number of fsyncs',
      buckets: FSYNC_BUCKETS, registers,
    })
  }

  /** The store whose queues are reported; set once it exists (the log may need this object first). */
  watchStore(store: MessageStore): void {
    this.store = store
  }

  connectionOpened(stream: Duplex): void {
    this.open.add(stream)
    this.connectionsOpened.inc()
  }

  connectionClosed(stream: Duplex): void {
    if (!this.open.delete(stream)) return
    const counting = stream as CountingStream
    this.closedBytesIn += counting.bytesRead ?? 0
    this.closedBytesOut += counting.bytesWritten ?? 0
  }

  publishConfirmed(seconds: number): void {
    this.publishConfirm.observe(seconds)
  }

  onFsync(seconds: number): void {
    this.fsync.observe(seconds)
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  private bytes(): { in: number; out: number } {
    let bytesIn = this.closedBytesIn
    let bytesOut = this.closedBytesOut
    for (const stream of this.open) {
      const counting = stream as CountingStream
      bytesIn += counting.bytesRead ?? 0
      bytesOut += counting.bytesWritten ?? 0
    }
    return { in: bytesIn, out: bytesOut }
  }

  private snapshot(): Promise<Snapshot | undefined> {
    // prom-client starts every metric's collect() in one synchronous pass, so they all find
    // this promise; it is cleared once settled, so the next scrape reads fresh numbers.
    if (this.statsInFlight) return this.statsInFlight
    const store = this.store
    // A store that cannot answer (backend down) leaves the queue metrics out of this scrape
    // rather than failing it: process metrics and hubq_store_healthy still matter then.
    const inFlight = Promise.resolve()
      .then(() => (store ? takeSnapshot(store) : undefined))
      .catch(() => undefined)
      .finally(() => {
        this.statsInFlight = undefined
      })
    this.statsInFlight = inFlight
    return inFlight
  }
}

/** One scrape's view of the store: the counts, and each queue's inspection (one that failed is missing). */
interface Snapshot extends StoreStats {
  inspections: Map<string, QueueInspection>
}

async function takeSnapshot(store: MessageStore): Promise<Snapshot> {
  const stats = await store.stats()
  const inspections = new Map<string, QueueInspection>()
  await Promise.all(stats.queues.map(async (q) => {
    try {
      const inspection = await store.inspect(q.queue)
      inspections.set(q.queue, inspection)
    } catch {
      // Dropped between stats() and inspect(): left out of this scrape.
    }
  }))
  return { ...stats, inspections }
}

type QueueCount = 'ready' | 'inflight' | 'delayed' | 'published' | 'acked' | 'deadLettered' | 'redelivered'

/** Sets a gauge, or a just-reset counter to a total the store keeps. */
function setValue(metric: Gauge | Counter, labels: Record<string, string>, value: number): void {
  if (metric instanceof Gauge) metric.set(labels, value)
  else metric.inc(labels, value)
}
