// When the log frees space, and what: the oldest segments go once nothing in them is live, and an
// old segment with only a few live messages left is compacted (they are rewritten at the head).
// Decisions only: collector.ts carries them out, in the crash-safe order.
import type { Segment } from './live-index.js'

/** On a full disk, an old segment is compacted only when its live messages take about this much or less. */
export const TIGHT_COMPACTION_BYTES = 64 * 1024

export interface CollectionState {
  /** Oldest first; the last one takes the appends. */
  segments: readonly Segment[]
  segmentBytes: number
  /** A write met a full disk since collection last freed a segment. */
  diskFull: boolean
  /** The reserve was given up to a full disk (reserve.ts). */
  tight: boolean
  /** No compaction before this time (epoch ms). */
  compactAfter: number
}

/** Whether a collection step is due: a dead oldest segment, one worth compacting, or a full disk's active segment to close. */
export function collectable(state: CollectionState, now: number): boolean {
  const { segments } = state
  const oldest = segments[0]
  if (!oldest) return false
  // On a full disk the active segment can be all the log there is: closed early, it can go too.
  if (oldest === segments[segments.length - 1]) return state.diskFull && oldest.entries > 0 && oldest.live * 4 <= oldest.entries
  if (oldest.live === 0) return true
  if (now < state.compactAfter || !worthCompacting(segments, oldest, state.segmentBytes)) return false
  // On a full disk, copies are made only of a few live messages: the room is for the deletes.
  return !state.tight || (oldest.size * oldest.live) / oldest.entries <= TIGHT_COMPACTION_BYTES
}

/**
 * Few live messages left in the oldest segment, or dead segments piling up behind it: once the
 * garbage outweighs the live data (and two segments), copying the oldest one's live messages
 * forward pays for itself. Either way the copying costs at most what it frees.
 */
export function worthCompacting(segments: readonly Segment[], oldest: Segment, segmentBytes: number): boolean {
  if (oldest.live * 4 <= oldest.entries) return true
  let total = 0
  let live = 0
  for (const segment of segments) {
    total += segment.size
    if (segment.entries > 0) live += (segment.size * segment.live) / segment.entries
  }
  return total - live > Math.max(live, 2 * segmentBytes)
}

/** The oldest segments, before the active one, none of whose messages is live: they can go. */
export function deadPrefix(segments: readonly Segment[]): Segment[] {
  const dead: Segment[] = []
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] as Segment
    if (segment.live > 0) break
    dead.push(segment)
  }
  return dead
}
