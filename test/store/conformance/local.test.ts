// The store conformance suite against the local store (memory journal).
import t from 'tap'
import { LocalStore } from '../../../broker/store/local/store.js'
import { MemoryJournal } from '../../../broker/store/journal.js'
import { conformance } from './suite.js'

conformance(t, 'local', async () => ({ store: new LocalStore({ journal: new MemoryJournal() }), cleanup: () => {} }), new Set())
