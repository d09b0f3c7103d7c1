// GET /: the live page. Plain HTML and inline script, nothing to build and nothing fetched from
// elsewhere; it polls /api/stats once a second and updates the tables in place. Names are set
// with textContent only, so a queue called "<script>" is shown, never run.

export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hubq</title>
<style>
  :root { color-scheme: light dark; --muted: #888; --bad: #c0392b; --good: #27ae60; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  #summary { color: var(--muted); }
  #status.ok { color: var(--good); } #status.unavailable, #status.offline { color: var(--bad); }
  table { border-collapse: collapse; min-width: 40rem; }
  th, td { padding: .25rem .75rem; border-bottom: 1px solid #8884; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child, #topics th, #topics td { text-align: left; }
  td.empty { color: var(--muted); text-align: left; }
  .num { font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>hubq <span id="version"></span></h1>
<div id="summary"><span id="status">connecting…</span> · <span id="connections">0</span> connections · up <span id="uptime">0s</span> · updated <span id="updated">never</span></div>
<h2>Queues</h2>
<table id="queues">
  <thead><tr><th>Queue</th><th>Ready</th><th>In flight</th><th>Delayed</th><th>Published</th><th>Acked</th><th>Dead-lettered</th><th>Publish/s</th><th>Ack/s</th><th>Oldest ready</th></tr></thead>
  <tbody><tr><td class="empty" colspan="10">no queues yet</td></tr></tbody>
</table>
<h2>Topics</h2>
<table id="topics">
  <thead><tr><th>Topic</th><th>Bound queues</th></tr></thead>
  <tbody><tr><td class="empty" colspan="2">no topics yet</td></tr></tbody>
</table>
<script>
'use strict'
const COUNTS = ['ready', 'inflight', 'delayed', 'published', 'acked', 'deadLettered']
let previous = null

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–'
  if (seconds < 60) return seconds.toFixed(seconds < 10 ? 1 : 0) + 's'
  if (seconds < 3600) return Math.floor(seconds / 60) + 'm ' + Math.floor(seconds % 60) + 's'
  if (seconds < 86400) return Math.floor(seconds / 3600) + 'h ' + Math.floor((seconds % 3600) / 60) + 'm'
  return Math.floor(seconds / 86400) + 'd ' + Math.floor((seconds % 86400) / 3600) + 'h'
}

function rate(name, field, stats) {
  if (!previous) return '–'
  const seconds = (stats.now - previous.now) / 1000
  if (seconds <= 0) return '–'
  // A queue missing from the previous poll was created since: its counts all grew in between.
  const before = previous.queues.find((q) => q.queue === name)
  const queue = stats.queues.find((q) => q.queue === name)
  return Math.max(0, (queue[field] - (before ? before[field] : 0)) / seconds).toFixed(1)
}

/** Keeps one row per key, in order, reusing rows so the table does not flicker. */
function syncRows(table, keyName, items, columns, fill) {
  const body = table.tBodies[0]
  if (items.length === 0) {
    if (!body.querySelector('td.empty')) {
      body.replaceChildren()
      const cell = body.insertRow().insertCell()
      cell.className = 'empty'
      cell.colSpan = columns.length + 1
      cell.textContent = 'none'
    }
    return
  }
  const existing = new Map()
  for (const row of body.rows) if (row.dataset[keyName] !== undefined) existing.set(row.dataset[keyName], row)
  const rows = items.map((item) => {
    const key = item[keyName]
    let row = existing.get(key)
    if (!row) {
      row = document.createElement('tr')
      row.dataset[keyName] = key
      const name = row.insertCell()
      name.textContent = key
      for (const column of columns) {
        const cell = row.insertCell()
        cell.className = 'num'
        cell.dataset.field = column
      }
    }
    for (const cell of row.cells) if (cell.dataset.field) cell.textContent = fill(item, cell.dataset.field)
    return row
  })
  body.replaceChildren(...rows)
}

function render(stats) {
  document.getElementById('version').textContent = stats.version
  const status = document.getElementById('status')
  status.textContent = stats.health.status === 'ok' ? 'healthy' : 'unavailable: ' + stats.health.reasons.join('; ')
  status.className = stats.health.status
  document.getElementById('connections').textContent = String(stats.connections)
  document.getElementById('uptime').textContent = duration(stats.uptime)
  document.getElementById('updated').textContent = new Date(stats.now).toLocaleTimeString()
  syncRows(document.getElementById('queues'), 'queue', stats.queues,
    [...COUNTS, 'publishRate', 'ackRate', 'oldestReadyAge'],
    (queue, field) => {
      if (field === 'publishRate') return rate(queue.queue, 'published', stats)
      if (field === 'ackRate') return rate(queue.queue, 'acked', stats)
      if (field === 'oldestReadyAge') return duration(queue.oldestReadyAge)
      return String(queue[field])
    })
  syncRows(document.getElementById('topics'), 'topic', stats.topics, ['bindings'],
    (topic) => topic.bindings.map((b) => b.queue).join(', ') || '–')
  previous = stats
}

async function refresh() {
  try {
    const response = await fetch('api/stats', { cache: 'no-store' })
    if (!response.ok) throw new Error('HTTP ' + response.status)
    render(await response.json())
  } catch (err) {
    const status = document.getElementById('status')
    status.textContent = 'broker unreachable (' + err.message + ')'
    status.className = 'offline'
  } finally {
    setTimeout(refresh, 1000)
  }
}
refresh()
</script>
</body>
</html>
`
