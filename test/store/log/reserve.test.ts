// The reserve grows with the backlog before the publishes that need it are written; a commit()
// made while it grows waits for those publishes like any other.
import t from 'tap'
import { basename } from 'node:path'
import { tempDir } from '../../helpers/broker.js'
import { nodeFs, type LogFs } from '../../../broker/store/log/fs.js'
import { OWED_PER_MESSAGE, RESERVE_FILE } from '../../../broker/store/log/reserve.js'
import { openJournal, publishRecord } from './fixture.js'

t.test('a commit made while the reserve grows waits for the publishes behind it', async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const reserveFds = new Set<number>()
  let release: (() => void) | undefined
  let held: (() => void) | undefined
  const fs: LogFs = {
    ...nodeFs,
    open: async (path, flags) => {
      const fd = await nodeFs.open(path, flags)
      if (basename(path) === RESERVE_FILE) reserveFds.add(fd)
      return fd
    },
    write: async (fd, data, position) => {
      if (reserveFds.has(fd) && release === undefined && held !== undefined) {
        await new Promise<void>((resolve) => {
          release = resolve
          held?.()
        })
      }
      return nodeFs.write(fd, data, position)
    },
  }
  const { journal } = await openJournal(dir.path, { fs })
  t.teardown(() => journal.close())
  const growing = new Promise<void>((resolve) => (held = resolve))
  // Enough messages to owe more than the reserve made at start-up holds.
  const count = Math.ceil((256 * 1024) / OWED_PER_MESSAGE)
  for (let n = 0; n < count; n++) journal.append(publishRecord(n))
  await growing
  let settled = false
  const late = journal.commit().then(() => (settled = true))
  // The reserve's write is held: nothing can settle the commit but a false confirmation.
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(settled, false, 'the commit waits while the reserve grows and the publishes are not yet written')
  release?.()
  await late
  t.equal(settled, true, 'and settles once they are written')
})
