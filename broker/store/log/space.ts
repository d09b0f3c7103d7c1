// Room on the disk: the reserve the log keeps for what it owes its live messages (reserve.ts),
// and the state a full disk puts the log in. Tight (the reserve given up to a full disk),
// bookkeeping is written into the reserve's room and confirmed records are refused, until
// collection frees space and the reserve is made again.
import type { Logger } from '../../../shared/logger.js'
import type { LogFs } from './fs.js'
import { Reserve } from './reserve.js'
import type { SegmentFiles } from './segments.js'

/** A write failed for want of room (or of quota), not for a broken disk. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** What a failing log writes past its end (and cuts off again) to find out whether writes work again. */
const PROBE = Buffer.alloc(4096)

export class Space {
  /** The last write's error while writes fail; undefined once one succeeds again. */
  failure: unknown
  /** Keeps room for what the log owes its live messages (reserve.ts). */
  readonly reserve: Reserve
  /**
   * The reserve was given up to a full disk: bookkeeping is written into its room, confirmed
   * records are refused, and the active segment may be closed early so that collection can free it.
   */
  tight = false
  /** A write met a full disk since collection last freed a segment: the active segment may be closed early. */
  diskFull = false
  /** Metadata bytes of the last removal: the next one will need about as many. */
  metadataBytes = 0
  /** Tasks for the writer: give up the reserve, make it again. */
  releaseDue = false
  reserveDue = false

  constructor(private readonly fs: LogFs, private readonly dir: string, private readonly log: Logger, private readonly files: SegmentFiles) {
    this.reserve = new Reserve(fs, dir)
  }

  /** A write or fsync failed with `err` (logged the first time): its code, for the refusals. */
  failed(err: unknown): string {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    if (this.failure === undefined) {
      this.log.error({ err, dir: this.dir }, `log: write failed (${code}): publishes are refused with 'unavailable' until writes succeed again`)
    }
    this.failure = err
    if (isDiskFull(err)) this.diskFull = true
    return code
  }

  /** A write or fsync succeeded. */
  recovered(): void {
    if (this.failure === undefined) return
    this.failure = undefined
    if (this.tight) this.log.info({ dir: this.dir }, 'log: writes succeed again (bookkeeping only until space is freed)')
    else this.log.info({ dir: this.dir }, 'log: writes succeed again; publishes are accepted')
  }

  /**
   * Failing, with nothing to write: writes past the end of the active file `fd` (which ends at
   * `at`), syncs, and cuts it off again. Undefined when that worked (writes work again), else its error.
   */
  async probe(fd: number, at: number): Promise<unknown> {
    try {
      await this.fs.write(fd, PROBE, at)
      await this.fs.fdatasync(fd)
      await this.fs.ftruncate(fd, at)
      this.recovered()
      return undefined
    } catch (err) {
      await this.fs.ftruncate(fd, at).catch(() => undefined)
      return err
    }
  }

  /** Bytes the log owes its live messages, with `more` to come (see Reserve). */
  owed(more: number): number {
    return Reserve.owed(this.files.live() + more, this.metadataBytes)
  }

  /** At open: holds what is owed; false (and tight) when the disk has not the room. */
  async hold(): Promise<boolean> {
    try {
      await this.reserve.hold(this.owed(0))
      return true
    } catch (err) {
      await this.reserve.release()
      this.goTight(err)
      return false
    }
  }

  goTight(err: unknown): void {
    this.tight = true
    this.diskFull = true
    this.log.error({ err, dir: this.dir },
      'log: the disk is full: the reserve is given up for acks and bookkeeping; publishes and declarations are refused until acked messages free space')
  }

  /** A write of what the log owes met `err`: on a full disk (not tight yet), the reserve is given up for it (true). */
  giveUpReserve(err: unknown): boolean {
    if (!isDiskFull(err) || this.tight) return false
    this.goTight(err)
    this.releaseDue = true
    return true
  }

  /** Tight: space was freed (or may have been); once the reserve is whole again, confirmed records are taken again. False: not yet. */
  async remake(): Promise<boolean> {
    try {
      await this.reserve.hold(this.owed(0))
    } catch {
      await this.reserve.release()
      return false
    }
    this.tight = false
    this.log.info({ dir: this.dir, reserve: this.reserve.size }, 'log: space is free again and the reserve is made again; publishes are accepted')
    return true
  }

  /** Collection removed segments: the reserve is made again (tight) or trimmed to what is owed now. */
  async freed(): Promise<void> {
    this.diskFull = false
    if (this.tight) this.reserveDue = true
    else await this.reserve.trim(this.owed(0))
  }
}
