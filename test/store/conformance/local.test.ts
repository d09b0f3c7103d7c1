// The store conformance suite against the local store (memory journal).
import t from 'tap'
import { LocalStore } from '../../../broker/store/local/store.js'
import { MemoryJournal } from '../../../broker/store/journal.js'
import { conformance } from './suite.js'

conformance(t, 'local', async (options) => ({ store: new LocalStore({ journal: new MemoryJournal(), ...options }), cleanup: () => {} }), new Set())
