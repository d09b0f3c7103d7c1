// `node test/bench/peers/summarize.mjs [DIR]` (default: the newest run under /tmp/hubq-peers):
// the markdown table of a run of `npm run bench:peers`, from DIR/raw/*.jsonl and DIR/run.json.
// Throughput cells are the median of the reps with (min–max); the other cells are medians.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PEERS } from './servers.mjs'

export const RESULTS_ROOT = '/tmp/hubq-peers'

const median = (values) => {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmt = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2))

/**
 * The table for `rows` (one object per workload run: {peer, rep, w, n, rate, p50Ms, p99Ms,
 * maxMs, clientCpuS, serverCpuS, serverPeakRssMb}, the server figures being its phase's), and a
 * header from `run` (what run.mjs wrote in run.json). Peers appear in the order they first come.
 */
export function summarize(rows, run = {}) {
  const peers = [...new Set(rows.map((r) => r.peer))]
  const out = []
  if (run.date) out.push(`Run ${run.date}: ${run.machine ?? ''}; node ${run.versions?.node ?? '?'}, hubq ${run.hubq ?? '?'}.`)
  const v = run.versions
  if (v) {
    const servers = [['redis', v.redis], ['beanstalkd', v.beanstalkd], ['RabbitMQ', v.rabbitmq && `${v.rabbitmq} (Erlang ${v.erlang})`], ['nats-server', v.nats]]
    const installed = servers.filter(([, version]) => version).map(([name, version]) => `${name} ${version}`)
    if (installed.length) out.push(`Installed: ${installed.join(', ')}.`)
  }
  if (run.config) {
    const c = run.config
    out.push(`N=${c.n}, ${c.size}-byte payloads, window ${c.window}, W4 ${c.rate} msg/s × ${c.secs} s; ${c.reps} rep(s) per peer, each phase on a fresh server.`)
  }
  if (run.skipped?.length) out.push(`Not run: ${run.skipped.map((s) => `${s.peer} (${s.reason})`).join('; ')}.`)
  if (out.length) out.push('')
  out.push('| peer | W1 publish msg/s | W2 consume msg/s | W3 e2e msg/s | W3 p50 / p99 ms | W4 p50 / p99 / max ms | server CPU µs per msg (w1+w2 / w3 / w4) | server peak RSS MB (w1+w2 / w3 / w4) | client CPU s (w1 / w2 / w3 / w4) | reps |')
  out.push(`|${'---|'.repeat(10)}`)
  for (const peer of peers) {
    const mine = rows.filter((r) => r.peer === peer)
    const pick = (w, key) => mine.filter((r) => r.w === w && typeof r[key] === 'number').map((r) => r[key])
    const med = (w, key) => {
      const values = pick(w, key)
      return values.length ? median(values) : undefined
    }
    const spread = (w, key) => {
      const values = pick(w, key)
      return values.length ? `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})` : 'n/a'
    }
    // w1 and w2 share one server, whose CPU covers publishing and consuming each message.
    const cpuPerMessage = (w) => {
      const cpu = med(w, 'serverCpuS')
      const n = med(w, 'n')
      return cpu === undefined || n === undefined ? undefined : (cpu * 1e6) / n
    }
    out.push(`| ${peer} | ${[
      spread('w1', 'rate'),
      spread('w2', 'rate'),
      spread('w3', 'rate'),
      `${fmt(med('w3', 'p50Ms'))} / ${fmt(med('w3', 'p99Ms'))}`,
      `${fmt(med('w4', 'p50Ms'))} / ${fmt(med('w4', 'p99Ms'))} / ${fmt(med('w4', 'maxMs'))}`,
      ['w1', 'w3', 'w4'].map((w) => fmt(cpuPerMessage(w))).join(' / '),
      ['w1', 'w3', 'w4'].map((w) => fmt(med(w, 'serverPeakRssMb'))).join(' / '),
      ['w1', 'w2', 'w3', 'w4'].map((w) => fmt(med(w, 'clientCpuS'))).join(' / '),
      new Set(mine.map((r) => r.rep)).size,
    ].join(' | ')} |`)
  }
  const known = peers.filter((peer) => PEERS[peer])
  if (known.length) {
    out.push('', '| peer | a confirmed publish is |', '|---|---|')
    for (const peer of known) out.push(`| ${peer} | ${PEERS[peer].confirmed} |`)
  }
  return out.join('\n')
}

/** Reads a run folder: every peer's raw lines, and run.json when there is one. */
export function readRun(dir) {
  const raw = join(dir, 'raw')
  const rows = readdirSync(raw).filter((f) => f.endsWith('.jsonl')).sort()
    .flatMap((f) => readFileSync(join(raw, f), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)))
  const runFile = join(dir, 'run.json')
  const run = existsSync(runFile) ? JSON.parse(readFileSync(runFile, 'utf8')) : {}
  // Peers in the order they were asked for, then any others found.
  const order = run.peers ?? []
  rows.sort((a, b) => (order.indexOf(a.peer) + 1 || Infinity) - (order.indexOf(b.peer) + 1 || Infinity))
  return { rows, run }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  let dir = process.argv[2]
  if (!dir) {
    const runs = existsSync(RESULTS_ROOT) ? readdirSync(RESULTS_ROOT).sort() : []
    if (!runs.length) {
      console.error(`no runs under ${RESULTS_ROOT}: run \`npm run bench:peers\` first`)
      process.exit(1)
    }
    dir = join(RESULTS_ROOT, runs[runs.length - 1])
  }
  const { rows, run } = readRun(dir)
  console.log(summarize(rows, run))
}
