// The reserve: a file of zeros in the data folder that holds room for the records the log owes
// its live messages (a delete each, and the metadata written again before old segments go). A
// full disk would otherwise leave acks unwritable, and so no segment could ever be freed. When a
// write of such bookkeeping meets a full disk, the reserve is given up and the bookkeeping is
// written into its room; confirmed records (publishes, declarations) are refused until space is
// freed and the reserve is made again, as beanstalkd keeps room for a job's delete when it writes the job.
import { dirname, join } from 'node:path'
import type { LogFs } from './fs.js'

export const RESERVE_FILE = 'RESERVE'
/** What a live message may still cost: its delete record (header, message id, a queue name of up to 40 bytes). */
export const OWED_PER_MESSAGE = 96
/** Room beyond the deletes: a new segment's header, counts and dedup records, receive counts. */
const SLACK_BYTES = 32 * 1024
/** The file grows in steps this large, one step ahead of what is owed. */
const STEP_BYTES = 32 * 1024
/** Zeros are written this much at a time (a large backlog's reserve is made at start-up). */
const ZEROS = Buffer.alloc(1024 * 1024)

export class Reserve {
  /** Bytes held now. */
  size = 0
  private fd = -1
  private readonly path: string

  constructor(private readonly fs: LogFs, dir: string) {
    this.path = join(dir, RESERVE_FILE)
  }

  /** Bytes owed for `live` messages and metadata last written in `metadataBytes`. */
  static owed(live: number, metadataBytes: number): number {
    return live * OWED_PER_MESSAGE + 2 * metadataBytes + SLACK_BYTES
  }

  /** Holds at least `owed` bytes, a step ahead; throws (ENOSPC) when the disk has not that much room. */
  async hold(owed: number): Promise<void> {
    const target = Reserve.target(owed)
    if (this.fd < 0) await this.reopen()
    while (this.size < target) {
      const length = Math.min(ZEROS.length, target - this.size)
      await this.fs.write(this.fd, ZEROS.subarray(0, length), this.size)
      this.size += length
    }
  }

  /**
   * Opens the file: the one a clean stop left is kept as it is when its size can be told (its
   * zeros were written, so its room is the disk's), else it is made afresh.
   */
  private async reopen(): Promise<void> {
    const fileSize = this.fs.fileSize
    if (fileSize !== undefined && (await this.fs.readdir(dirname(this.path))).includes(RESERVE_FILE)) {
      const fd = await this.fs.open(this.path, 'r+')
      try {
        this.size = await fileSize(fd)
        this.fd = fd
        return
      } catch {
        await this.fs.close(fd).catch(() => undefined)
      }
    }
    this.fd = await this.fs.open(this.path, 'w')
    this.size = 0
  }

  /** Once a backlog has drained: holds about what is owed again, when it holds more than twice that. */
  async trim(owed: number): Promise<void> {
    const target = Reserve.target(owed)
    if (this.fd < 0 || this.size <= 2 * target) return
    try {
      await this.fs.ftruncate(this.fd, target)
      this.size = target
    } catch {
      // Still held in full: the room is merely not given back yet.
    }
  }

  private static target(owed: number): number {
    return (Math.ceil(owed / STEP_BYTES) + 1) * STEP_BYTES
  }

  /** Gives the room back to the file system (the file goes). */
  async release(): Promise<void> {
    await this.close()
    this.size = 0
    await this.fs.unlink(this.path).catch(() => undefined)
  }

  /** Closes the file, which stays (a clean stop). */
  async close(): Promise<void> {
    const fd = this.fd
    this.fd = -1
    if (fd >= 0) await this.fs.close(fd).catch(() => undefined)
  }
}
