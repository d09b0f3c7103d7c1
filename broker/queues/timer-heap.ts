// One timer for many deadlines: a min-heap of (at, item) and a single clock timeout for the
// earliest. Entries are invalidated lazily: `fire` is told the generation it was pushed with.
import type { Clock } from '../../shared/clock.js'

const MIN_PRUNE = 1024

interface Entry<T> {
  at: number
  item: T
  generation: number
}

export class TimerHeap<T> {
  private readonly heap: Entry<T>[] = []
  private handle: unknown
  private armedAt = Infinity
  /** Size at which stale entries are next swept out (see prune). */
  private pruneAt = MIN_PRUNE

  /**
   * `isCurrent` says whether an entry still matters; without it, entries for settled items
   * (an acked message's visibility deadline) stay until their time comes, holding the item.
   */
  constructor(
    private readonly clock: Clock,
    private readonly fire: (item: T, generation: number) => void,
    private readonly isCurrent?: (item: T, generation: number) => boolean,
  ) {}

  get size(): number {
    return this.heap.length
  }

  add(at: number, item: T, generation: number): void {
    if (this.heap.length >= this.pruneAt) this.prune()
    const heap = this.heap
    const entry = { at, item, generation }
    heap.push(entry)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((heap[parent] as Entry<T>).at <= at) break
      heap[i] = heap[parent] as Entry<T>
      i = parent
    }
    heap[i] = entry
    if (at < this.armedAt) this.arm(at)
  }

  /**
   * Drops stale entries and rebuilds the heap: run when the heap has doubled since the last
   * sweep, so it costs O(1) per add and the heap stays within twice the live entries.
   */
  private prune(): void {
    const isCurrent = this.isCurrent
    if (isCurrent) {
      const live = this.heap.filter((e) => isCurrent(e.item, e.generation))
      live.sort((a, b) => a.at - b.at)
      this.heap.length = 0
      for (const e of live) this.heap.push(e)
    }
    this.pruneAt = Math.max(MIN_PRUNE, 2 * this.heap.length)
  }

  stop(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle)
    this.handle = undefined
    this.armedAt = Infinity
  }

  private arm(at: number): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle)
    this.armedAt = at
    this.handle = this.clock.setTimeout(() => this.run(), Math.max(0, at - this.clock.now()))
  }

  private run(): void {
    this.handle = undefined
    this.armedAt = Infinity
    const now = this.clock.now()
    while (this.heap.length > 0 && (this.heap[0] as Entry<T>).at <= now) {
      const top = this.pop()
      this.fire(top.item, top.generation)
    }
    const next = this.heap[0]
    if (next) this.arm(next.at)
  }

  private pop(): Entry<T> {
    const heap = this.heap
    const top = heap[0] as Entry<T>
    const last = heap.pop() as Entry<T>
    if (heap.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let smallest = i
        let value = last.at
        if (l < heap.length && (heap[l] as Entry<T>).at < value) {
          smallest = l
          value = (heap[l] as Entry<T>).at
        }
        if (r < heap.length && (heap[r] as Entry<T>).at < value) smallest = r
        if (smallest === i) break
        heap[i] = heap[smallest] as Entry<T>
        i = smallest
      }
      heap[i] = last
    }
    return top
  }
}
