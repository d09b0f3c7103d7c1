// The store conformance suite against the local store on the durable log, each scenario's broker
// restarted on the same folder in its middle: what PROTOCOL.md §6.12 says survives a restart does,
// and the scenario's assertions hold after it as they do without one.
import t from 'tap'
import { conformance } from './suite.js'
import { logStore } from './log-store.js'

conformance(t, 'log+restart', logStore(true), new Set())
