// A Journal that keeps every appended record in memory (as JSON, as a log would store it) and
// replays them into the next store opened on it: a restart without a disk.
import type { Journal, JournalRecord } from '../../broker/store/journal.js'

export class RecordingJournal implements Journal {
  readonly description = 'recording (test)'
  /** Every record appended, serialised, oldest first; shared with the journal of the next start. */
  readonly lines: string[]
  commits = 0

  constructor(previous?: RecordingJournal) {
    this.lines = previous ? previous.lines : []
  }

  get records(): JournalRecord[] {
    return this.lines.map((line) => JSON.parse(line) as JournalRecord)
  }

  async open(replay: (record: JournalRecord) => void): Promise<void> {
    for (const line of this.lines) replay(JSON.parse(line) as JournalRecord)
  }

  append(record: JournalRecord): void {
    this.lines.push(JSON.stringify(record))
  }

  commit(): Promise<void> {
    this.commits++
    return Promise.resolve()
  }

  async close(): Promise<void> {}

  writable(): boolean {
    return true
  }
}

/** A RecordingJournal whose commits can be held back, to see who waits for durability. */
export class GatedJournal extends RecordingJournal {
  private held: (() => void)[] | undefined

  hold(): void {
    this.held ??= []
  }

  release(): void {
    const waiting = this.held ?? []
    this.held = undefined
    for (const resolve of waiting) resolve()
  }

  override commit(): Promise<void> {
    this.commits++
    const held = this.held
    if (!held) return Promise.resolve()
    return new Promise((resolve) => held.push(resolve))
  }
}
