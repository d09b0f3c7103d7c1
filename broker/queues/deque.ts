// A growable ring buffer: O(1) push and shift at both ends, iteration front to back.
export class Deque<T> {
  private items: (T | undefined)[] = new Array(16)
  private head = 0
  length = 0

  push(item: T): void {
    if (this.length === this.items.length) this.grow()
    this.items[(this.head + this.length) & (this.items.length - 1)] = item
    this.length++
  }

  unshift(item: T): void {
    if (this.length === this.items.length) this.grow()
    this.head = (this.head - 1) & (this.items.length - 1)
    this.items[this.head] = item
    this.length++
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) & (this.items.length - 1)
    this.length--
    return item
  }

  /** Removes `item` (compared by identity); O(1) at the front, a copy of the rest elsewhere. False when absent. */
  remove(item: T): boolean {
    if (this.length === 0) return false
    if (this.items[this.head] === item) {
      this.shift()
      return true
    }
    const rest = [...this].filter((x) => x !== item)
    if (rest.length === this.length) return false
    this.clear()
    for (const x of rest) this.push(x)
    return true
  }

  peekBack(): T | undefined {
    return this.length === 0 ? undefined : this.items[(this.head + this.length - 1) & (this.items.length - 1)]
  }

  peekFront(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head]
  }

  clear(): void {
    this.items = new Array(16)
    this.head = 0
    this.length = 0
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const mask = this.items.length - 1
    for (let i = 0; i < this.length; i++) yield this.items[(this.head + i) & mask] as T
  }

  private grow(): void {
    const bigger: (T | undefined)[] = new Array(this.items.length * 2)
    for (let i = 0; i < this.length; i++) bigger[i] = this.items[(this.head + i) & (this.items.length - 1)]
    this.items = bigger
    this.head = 0
  }
}
