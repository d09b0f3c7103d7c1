// The store conformance suite, unchanged, against the local store on the durable log.
import t from 'tap'
import { conformance } from './suite.js'
import { logStore } from './log-store.js'

conformance(t, 'log', logStore(false), new Set())
