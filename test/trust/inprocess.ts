// A broker in this process on the durable log (a temp folder, small segments, an injectable
// file system and clock), restarted on the same folder: for the trust tests that need to make
// a disk fail or move time.
import { startBroker, tempDir, TestClient, type TestBroker } from '../helpers/broker.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { LogJournal } from '../../broker/store/log/journal.js'
import type { LogFs } from '../../broker/store/log/fs.js'
import type { Clock } from '../../shared/clock.js'

export interface Opened {
  broker: TestBroker
  store: LocalStore
  journal: LogJournal
  client: TestClient
  stop(): Promise<void>
}

export function durableBroker(t: { teardown(fn: () => unknown): void }, options: { segmentBytes?: number; clock?: Clock } = {}) {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const open = async (fs?: LogFs): Promise<Opened> => {
    const journal = new LogJournal({ dir: dir.path, segmentBytes: options.segmentBytes ?? 4096, retryMs: 10, ...(fs ? { fs } : {}) })
    const store = new LocalStore({ journal, ...(options.clock ? { clock: options.clock } : {}) })
    const broker = await startBroker({ store })
    const client = await TestClient.connect(broker.port)
    let stopped = false
    const stop = async (): Promise<void> => {
      if (stopped) return
      stopped = true
      await client.close()
      await broker.stop()
    }
    t.teardown(stop)
    return { broker, store, journal, client, stop }
  }
  return { dir: dir.path, open }
}
