// GET /: the console. One HTML page with its style and script inline, nothing to build and
// nothing fetched from elsewhere (the Content-Security-Policy in server.ts forbids it). It reads
// the JSON endpoints of api.ts, polls once a second, and draws its charts as SVG itself. Every
// name and body is set with textContent, so a queue called "<script>" is shown, never run.
// Views are chosen by the URL's hash: #/ (overview), #/queues/NAME, #/connections.

const STYLE = `
  :root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #667; --line: #8884; --accent: #0b62c4;
    --bad: #b3261e; --good: #1e7a3c; --card: #f5f6f8; --c1: #0b62c4; --c2: #d97706; --c3: #1e7a3c; --c4: #9333ea; }
  @media (prefers-color-scheme: dark) {
    :root { --fg: #e6e8eb; --bg: #14161a; --muted: #9aa; --line: #fff3; --accent: #6cb0ff; --bad: #ff8a80;
      --good: #7bd88f; --card: #1e2127; --c1: #6cb0ff; --c2: #fbbf24; --c3: #7bd88f; --c4: #c4a1ff; }
  }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: baseline; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 1.2rem; margin: 0; }
  header nav { display: flex; gap: 1rem; }
  main { padding: 0 1rem 2rem; max-width: 80rem; }
  a { color: var(--accent); }
  h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
  h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
  #status.ok { color: var(--good); } #status.unavailable, #status.offline { color: var(--bad); }
  .muted, td.empty { color: var(--muted); }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; vertical-align: top; }
  th:first-child, td:first-child, td.text, th.text { text-align: left; }
  td.body { text-align: left; white-space: normal; }
  .num { font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; margin-left: .35rem; border-radius: .6rem; border: 1px solid currentColor; color: var(--muted); }
  .badge.dlq { color: var(--bad); }
  pre { margin: 0; max-height: 12rem; max-width: 40rem; overflow: auto; white-space: pre-wrap; word-break: break-word; font-size: .85rem; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
  figure { margin: 0; padding: .5rem; background: var(--card); border-radius: .4rem; }
  figcaption { font-size: .85rem; color: var(--muted); }
  svg.chart { width: 100%; height: 8rem; display: block; }
  svg.chart .grid { stroke: var(--line); }
  svg.chart text { fill: var(--muted); font-size: 10px; }
  svg.chart polyline { fill: none; stroke-width: 1.5; }
  .s0 { stroke: var(--c1); color: var(--c1); } .s1 { stroke: var(--c2); color: var(--c2); }
  .legend span { margin-right: .8rem; font-size: .85rem; } .legend span::before { content: "━ "; }
  dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
  dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
  .actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .75rem 0; }
  button { font: inherit; padding: .35rem .8rem; border-radius: .3rem; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
  button.danger { border-color: var(--bad); color: var(--bad); }
  button[aria-pressed="true"] { border-color: var(--accent); color: var(--accent); font-weight: 600; }
  input, textarea { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: .3rem; padding: .3rem; width: 100%; max-width: 40rem; }
  form label { display: block; margin: .5rem 0 .2rem; }
  #notice { margin: .75rem 0 0; min-height: 1.2rem; }
  #notice.error { color: var(--bad); } #notice.done { color: var(--good); }
  dialog { color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: .5rem; max-width: 32rem; }
  dialog::backdrop { background: #0006; }
  .hint { font-size: .8rem; color: var(--muted); }
  @media (max-width: 40rem) { main { padding: 0 .5rem 2rem; } th, td { padding: .25rem .4rem; } }
`

const SCRIPT = String.raw`
'use strict'
const TOKEN_KEY = 'hubq.token'
const POLL_MS = 1000
let pollTimer = null
let view = null

// ---- helpers ----------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'text') el.textContent = v
    else if (k === 'class') el.className = v
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c))
  return el
}
/** replaceChildren without the nulls of optional parts. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false))
}
function svgEl(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v))
  return el
}
function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–'
  if (seconds < 60) return seconds.toFixed(seconds < 10 ? 1 : 0) + 's'
  if (seconds < 3600) return Math.floor(seconds / 60) + 'm ' + Math.floor(seconds % 60) + 's'
  if (seconds < 86400) return Math.floor(seconds / 3600) + 'h ' + Math.floor((seconds % 3600) / 60) + 'm'
  return Math.floor(seconds / 86400) + 'd ' + Math.floor((seconds % 86400) / 3600) + 'h'
}
function rate(value) { return value === null || value === undefined ? '–' : value.toFixed(1) }
function bytes(n) {
  if (n < 1024) return n + ' B'
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB'
  if (n < 1073741824) return (n / 1048576).toFixed(1) + ' MiB'
  return (n / 1073741824).toFixed(2) + ' GiB'
}
function queueHref(name) { return '#/queues/' + encodeURIComponent(name) }
function queueLink(name) { return h('a', { href: queueHref(name), text: name }) }
function token() { return sessionStorage.getItem(TOKEN_KEY) }

class HttpError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code }
}
async function api(path, options) {
  const headers = { accept: 'application/json' }
  const t = token()
  if (t) headers.authorization = 'Bearer ' + t
  const init = { cache: 'no-store', headers }
  if (options && options.body !== undefined) {
    init.method = 'POST'
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(options.body)
  }
  const response = await fetch(path, init)
  const data = await response.json().catch(() => ({}))
  if (!response.ok) {
    const error = data && data.error
    throw new HttpError(response.status, error && error.code, (error && error.message) || (typeof error === 'string' ? error : 'HTTP ' + response.status))
  }
  return data
}

function notice(text, kind) {
  const el = document.getElementById('notice')
  el.textContent = text
  el.className = kind || ''
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status')
}

/** Asks before an action runs: resolves true when the named button is pressed. */
function confirmAction(title, text, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = document.getElementById('confirm')
    fill(dialog, 
      h('h2', { id: 'confirm-title', text: title }),
      h('p', { text }),
      h('form', { method: 'dialog', class: 'actions' },
        h('button', { value: 'cancel', text: 'Cancel' }),
        h('button', { value: 'ok', class: 'danger', text: confirmLabel })))
    dialog.setAttribute('aria-labelledby', 'confirm-title')
    dialog.returnValue = ''
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true })
    dialog.showModal()
  })
}

// ---- charts -------------------------------------------------------------------------------
/** A line chart of series sharing the times t; the SVG's label reads the latest values. */
function chart(title, t, series, format) {
  const W = 320, H = 120, L = 34, R = 6, T = 6, B = 16
  const values = series.flatMap((s) => s.values).filter((v) => v !== null)
  const max = Math.max(1, ...values)
  const t0 = t.length ? t[0] : 0, t1 = t.length ? t[t.length - 1] : 1
  const x = (time) => L + (t1 > t0 ? ((time - t0) / (t1 - t0)) * (W - L - R) : (W - L - R))
  const y = (v) => T + (1 - v / max) * (H - T - B)
  const latest = series.map((s) => {
    const v = [...s.values].reverse().find((x) => x !== null)
    return s.name + ' ' + (v === undefined ? 'none' : format(v))
  })
  const svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', preserveAspectRatio: 'none', 'aria-label': title + ': ' + latest.join(', ') })
  svg.dataset.points = String(t.length)
  for (const f of [0, 0.5, 1]) {
    svg.append(svgEl('line', { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), class: 'grid' }))
    const label = svgEl('text', { x: L - 4, y: y(max * f) + 3, 'text-anchor': 'end' })
    label.textContent = format(max * f)
    svg.append(label)
  }
  const span = svgEl('text', { x: W - R, y: H - 3, 'text-anchor': 'end' })
  span.textContent = t.length > 1 ? 'last ' + duration((t1 - t0) / 1000) : 'sampling…'
  svg.append(span)
  series.forEach((s, i) => {
    // A null (a gap in sampling) breaks the line.
    let points = []
    const flush = () => {
      if (points.length === 1) { const [cx, cy] = points[0].split(','); svg.append(svgEl('circle', { cx, cy, r: 2, class: 's' + i, fill: 'currentColor', 'data-series': s.name })) }
      else if (points.length) svg.append(svgEl('polyline', { points: points.join(' '), class: 's' + i, 'data-series': s.name }))
      points = []
    }
    s.values.forEach((v, j) => { if (v === null) flush(); else points.push(x(t[j]).toFixed(1) + ',' + y(v).toFixed(1)) })
    flush()
  })
  return h('figure', { class: 'chart-box' },
    h('figcaption', { text: title }), svg,
    h('div', { class: 'legend' }, series.map((s, i) => h('span', { class: 's' + i, text: s.name }))))
}

function charts(history, label) {
  return h('div', { class: 'charts' },
    chart(label + ' — messages', history.t, [{ name: 'ready', values: history.ready }, { name: 'in flight', values: history.inflight }], (v) => String(Math.round(v))),
    chart(label + ' — per second', history.t, [{ name: 'published/s', values: history.publishRate }, { name: 'acked/s', values: history.ackRate }], (v) => v.toFixed(v < 10 ? 1 : 0)))
}

// ---- header -------------------------------------------------------------------------------
function renderHeader(data) {
  document.getElementById('version').textContent = data.version || ''
  const status = document.getElementById('status')
  if (data.health) {
    status.textContent = data.health.status === 'ok' ? 'healthy' : 'unavailable: ' + data.health.reasons.join('; ')
    status.className = data.health.status
  }
  if (data.connections !== undefined) document.getElementById('connections').textContent = String(data.connections)
  if (data.uptime !== undefined) document.getElementById('uptime').textContent = duration(data.uptime)
  document.getElementById('updated').textContent = new Date().toLocaleTimeString()
  const who = document.getElementById('who')
  who.replaceChildren()
  if (data.auth) who.append('signed in as ' + data.auth.token + ' ', h('button', { type: 'button', onclick: signOut, text: 'Sign out' }))
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY)
  route()
}

function showSignIn(message) {
  stopPolling()
  document.getElementById('who').replaceChildren()
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true })
  const form = h('form', { 'aria-labelledby': 'signin-title', onsubmit: (event) => {
    event.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, input.value)
    route()
  } },
    h('h2', { id: 'signin-title', text: 'Sign in' }),
    h('p', { class: 'muted', text: 'This broker has auth on. The token is kept for this tab only and sent as Authorization: Bearer.' }),
    h('label', { for: 'token', text: 'Token' }), input,
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Sign in' })))
  fill(document.getElementById('view'), form)
  if (message) notice(message, 'error')
  input.focus()
}

// ---- overview -----------------------------------------------------------------------------
const COUNTS = [['ready', 'Ready'], ['inflight', 'In flight'], ['delayed', 'Delayed'], ['published', 'Published'], ['acked', 'Acked'], ['deadLettered', 'Dead-lettered']]

function queueName(q) {
  return h('span', {}, queueLink(q.queue),
    q.fifo ? h('span', { class: 'badge', text: 'fifo' }) : null,
    q.deadLetterFor.length ? h('span', { class: 'badge dlq', text: 'dead-letter', title: 'dead-letter queue of ' + q.deadLetterFor.join(', ') }) : null)
}

function renderOverview(data) {
  const rows = data.queues.map((q) => h('tr', { dataset: { queue: q.queue } },
    h('th', { scope: 'row', class: 'text' }, queueName(q)),
    COUNTS.map(([f]) => h('td', { class: 'num', dataset: { field: f }, text: String(q[f]) })),
    h('td', { class: 'num', dataset: { field: 'publishRate' }, text: rate(q.publishRate) }),
    h('td', { class: 'num', dataset: { field: 'ackRate' }, text: rate(q.ackRate) }),
    h('td', { class: 'num', dataset: { field: 'oldestReadyAge' }, text: duration(q.oldestReadyAge) }),
    h('td', { class: 'num', dataset: { field: 'consumers' }, text: String(q.consumers) }),
    h('td', { class: 'text', dataset: { field: 'deadLetter' } }, q.deadLetter ? queueLink(q.deadLetter) : '–')))
  const topics = data.topics.map((t) => h('tr', { dataset: { topic: t.topic } },
    h('th', { scope: 'row', class: 'text', text: t.topic }),
    h('td', { class: 'text', dataset: { field: 'bindings' } },
      t.bindings.length ? t.bindings.flatMap((b, i) => [i ? ', ' : '', queueLink(b.queue),
        b.filter ? ' (' + Object.entries(b.filter).map(([k, v]) => k + ' = ' + v.join(' | ')).join('; ') + ')' : '']) : '–')))
  fill(document.getElementById('view'), 
    h('h2', { text: 'Overview' }),
    charts(data.history, 'All queues'),
    h('h3', { id: 'queues-title', text: 'Queues' }),
    h('div', { class: 'scroll' }, h('table', { id: 'queues', 'aria-labelledby': 'queues-title' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text', text: 'Queue' }), COUNTS.map(([, l]) => h('th', { text: l })),
        h('th', { text: 'Publish/s' }), h('th', { text: 'Ack/s' }), h('th', { text: 'Oldest ready' }), h('th', { text: 'Consumers' }), h('th', { class: 'text', text: 'Dead-letter queue' }))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { class: 'empty', colspan: 12, text: 'no queues yet' }))))),
    h('h3', { id: 'topics-title', text: 'Topics' }),
    h('div', { class: 'scroll' }, h('table', { id: 'topics', 'aria-labelledby': 'topics-title' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text', text: 'Topic' }), h('th', { class: 'text', text: 'Bound queues (filter)' }))),
      h('tbody', {}, topics.length ? topics : h('tr', {}, h('td', { class: 'empty', colspan: 2, text: 'no topics yet' }))))))
}

// ---- one queue ----------------------------------------------------------------------------
const STATES = [['ready', 'Ready'], ['inflight', 'In flight'], ['delayed', 'Delayed']]
const PAGE = 20

function renderQueue(name, data, state, target) {
  const c = data.config
  const facts = (pairs) => h('dl', { class: 'facts' }, pairs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]))
  const disallowed = (op) => data.may[op] ? null : h('span', { class: 'hint', text: ' (not allowed for this token)' })
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    h('button', { type: 'button', onclick: () => togglePublish(name, c.fifo) }, 'Publish a message', disallowed('publish')),
    h('button', { type: 'button', class: 'danger', onclick: () => act(name, 'purge', 'Purge queue ' + name + '?', 'Every ready and delayed message in ' + name + ' is deleted; messages in flight stay until settled.', 'Purge') }, 'Purge', disallowed('purge')),
    data.deadLetterFor.length ? h('button', { type: 'button', onclick: () => act(name, 'redrive', 'Redrive ' + name + '?', 'Its messages go back to the queues they died in (' + data.deadLetterFor.join(', ') + '), receive counts reset.', 'Redrive') }, 'Redrive', disallowed('redrive')) : null,
    h('button', { type: 'button', class: 'danger', onclick: () => act(name, 'drop', 'Drop queue ' + name + '?', 'The queue and every message in it are removed for good.', 'Drop') }, 'Drop', disallowed('drop')))
  const consumers = data.consumers.map((s) => h('tr', {},
    h('td', { class: 'text', text: s.subscription }),
    h('td', { class: 'text', text: '#' + s.connection + (s.client ? ' ' + s.client : '') + (s.address ? ' (' + s.address + ')' : '') }),
    h('td', { class: 'num', text: String(s.prefetch) }),
    h('td', { class: 'num', text: s.unacked === undefined ? '–' : String(s.unacked) })))
  ;fill(target || document.getElementById('view'), 
    h('p', {}, h('a', { href: '#/', text: '← All queues' })),
    h('h2', {}, 'Queue ' + name, c.fifo ? h('span', { class: 'badge', text: 'fifo' }) : null, data.deadLetterFor.length ? h('span', { class: 'badge dlq', text: 'dead-letter' }) : null),
    data.deadLetterFor.length ? h('p', {}, 'Dead-letter queue of ', data.deadLetterFor.flatMap((q, i) => [i ? ', ' : '', queueLink(q)])) : null,
    actions,
    h('div', { id: 'publish-slot' }),
    h('div', { class: 'charts' },
      h('section', { 'aria-labelledby': 'counts-title' }, h('h3', { id: 'counts-title', text: 'Counts' }), h('div', { id: 'counts' }, facts([
        ['Ready', h('span', { dataset: { field: 'ready' }, text: String(data.ready) })],
        ['In flight', h('span', { dataset: { field: 'inflight' }, text: String(data.inflight) })],
        ['Delayed', h('span', { dataset: { field: 'delayed' }, text: String(data.delayed) })],
        ['Published', String(data.published)], ['Acked', String(data.acked)], ['Dead-lettered', String(data.deadLettered)],
        ['Redelivered', String(data.redelivered)],
        ['Oldest ready', h('span', { dataset: { field: 'oldestReadyAge' }, text: duration(data.oldestReadyAge) })],
        ['Publish/s', rate(data.publishRate)], ['Ack/s', rate(data.ackRate)]]))),
      h('section', { 'aria-labelledby': 'settings-title' }, h('h3', { id: 'settings-title', text: 'Settings' }), facts([
        ['Kind', c.fifo ? 'fifo' : 'standard'],
        ['Visibility timeout', c.visibilityTimeout === undefined ? '–' : duration(c.visibilityTimeout)],
        ['Max receives', c.maxReceives ? String(c.maxReceives) : 'no limit'],
        ['Dead-letter queue', c.deadLetter ? queueLink(c.deadLetter) : 'none'],
        ['Delay', c.delay === undefined ? '–' : duration(c.delay)],
        ['Retention', c.retention === undefined ? '–' : duration(c.retention)]]))),
    h('div', { id: 'queue-charts' }, charts(data.history, name)),
    h('h3', { id: 'consumers-title', text: 'Consumers' }),
    h('div', { class: 'scroll', id: 'consumers-table' }, h('table', { id: 'consumers', 'aria-labelledby': 'consumers-title' },
      h('thead', {}, h('tr', {}, h('th', { text: 'Subscription' }), h('th', { class: 'text', text: 'Connection' }), h('th', { text: 'Prefetch' }), h('th', { text: 'Unacked' }))),
      h('tbody', {}, consumers.length ? consumers : h('tr', {}, h('td', { class: 'empty', colspan: 4, text: 'no consumers' }))))),
    h('h3', { id: 'messages-title', text: 'Messages' }),
    h('div', { class: 'actions', role: 'group', id: 'state-buttons', 'aria-label': 'Message state' },
      STATES.map(([s, label]) => h('button', { type: 'button', 'aria-pressed': String(s === state.state), onclick: () => { state.state = s; state.offset = 0; loadMessages(name, state) } },
        label + ' (' + data[s] + ')')),
      h('button', { type: 'button', onclick: () => loadMessages(name, state), text: 'Refresh messages' })),
    h('div', { id: 'messages' }, h('p', { class: 'muted', text: 'loading…' })))
}

async function loadMessages(name, state) {
  const slot = document.getElementById('messages')
  if (!slot) return
  document.querySelectorAll('#state-buttons button[aria-pressed]').forEach((b, i) => b.setAttribute('aria-pressed', String(STATES[i][0] === state.state)))
  let data
  try {
    data = await api('api/queues/' + encodeURIComponent(name) + '/messages?state=' + state.state + '&offset=' + state.offset + '&limit=' + PAGE)
  } catch (err) {
    slot.replaceChildren(h('p', { role: 'alert', class: 'muted', text: 'cannot show messages: ' + err.message }))
    return
  }
  const rows = data.messages.map((m) => h('tr', { dataset: { mid: m.mid } },
    h('td', { class: 'text' }, h('code', { text: m.mid })),
    h('td', { class: 'body' }, h('pre', { class: 'message-body', text: typeof m.body === 'string' ? m.body : JSON.stringify(m.body, null, 2) })),
    h('td', { class: 'body' }, Object.keys(m.attrs).length ? h('pre', { text: Object.entries(m.attrs).map(([k, v]) => k + ' = ' + v).join('\n') }) : '–'),
    h('td', { class: 'num', text: String(m.receives) }),
    h('td', { class: 'num', text: duration(m.age) }),
    h('td', { class: 'text', text: m.group === undefined ? '–' : m.group })))
  const from = data.offset + 1, to = data.offset + data.messages.length
  fill(slot, 
    h('div', { class: 'scroll' }, h('table', { id: 'message-list', 'aria-labelledby': 'messages-title' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text', text: 'Message id' }), h('th', { class: 'text', text: 'Body' }), h('th', { class: 'text', text: 'Attributes' }),
        h('th', { text: 'Receives' }), h('th', { text: 'Age' }), h('th', { class: 'text', text: 'Group' }))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { class: 'empty', colspan: 6, text: 'no ' + STATES.find(([s]) => s === data.state)[1].toLowerCase() + ' messages' }))))),
    h('div', { class: 'actions' },
      h('span', { class: 'muted', text: rows.length ? 'messages ' + from + '–' + to : '' }),
      h('button', { type: 'button', disabled: data.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - PAGE); loadMessages(name, state) }, text: 'Previous page' }),
      h('button', { type: 'button', disabled: !data.more, onclick: () => { state.offset += PAGE; loadMessages(name, state) }, text: 'Next page' })))
}

function togglePublish(name, fifo) {
  const slot = document.getElementById('publish-slot')
  if (slot.firstChild) return slot.replaceChildren()
  const body = h('textarea', { id: 'publish-body', name: 'body', rows: 4, required: true, placeholder: '{"hello": "world"} or plain text' })
  const attrs = h('input', { id: 'publish-attrs', name: 'attrs', placeholder: 'kind=image, tenant=a' })
  const group = fifo ? h('input', { id: 'publish-group', name: 'group', required: true }) : null
  slot.append(h('form', { 'aria-labelledby': 'publish-title', onsubmit: async (event) => {
    event.preventDefault()
    let parsed
    try { parsed = JSON.parse(body.value) } catch { parsed = body.value }
    const message = { body: parsed }
    const pairs = attrs.value.split(',').map((p) => p.trim()).filter(Boolean)
    if (pairs.length) message.attrs = Object.fromEntries(pairs.map((p) => { const i = p.indexOf('='); return i < 0 ? [p, ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()] }))
    if (group) message.group = group.value
    if (await act(name, 'publish', 'Publish to ' + name + '?', 'One message is published to ' + name + '.', 'Publish', message)) slot.replaceChildren()
  } },
    h('h3', { id: 'publish-title', text: 'Publish a message' }),
    h('label', { for: 'publish-body', text: 'Body (JSON, or taken as text)' }), body,
    h('label', { for: 'publish-attrs', text: 'Attributes (name=value, comma separated)' }), attrs,
    group ? [h('label', { for: 'publish-group', text: 'Group (fifo)' }), group] : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Publish' }))))
  body.focus()
}

async function act(name, action, title, text, label, body) {
  if (!(await confirmAction(title, text, label))) {
    notice(label + ' cancelled', '')
    return false
  }
  try {
    const result = await api('api/queues/' + encodeURIComponent(name) + '/' + action, { body: body || {} })
    const said = action === 'purge' ? 'purged ' + result.purged + ' messages'
      : action === 'redrive' ? 'moved ' + result.moved + ' messages back'
      : action === 'publish' ? 'published ' + result.mid
      : 'dropped ' + name
    notice(said, 'done')
    if (action === 'drop') location.hash = '#/'
    else route(true)
    return true
  } catch (err) {
    if (err.status === 401) return showSignIn(err.message), false
    notice(label + ' refused: ' + err.message, 'error')
    return false
  }
}

// ---- connections --------------------------------------------------------------------------
function renderConnections(data) {
  const rows = data.connections.map((c) => h('tr', { dataset: { connection: String(c.id) } },
    h('td', { class: 'text', text: '#' + c.id }),
    h('td', { class: 'text', text: c.client || '–' }),
    h('td', { class: 'text', text: c.address }),
    h('td', { class: 'num', text: duration((Date.now() - c.openedAt) / 1000) }),
    h('td', { class: 'text' }, c.subscriptions.length ? c.subscriptions.flatMap((s, i) => [i ? ', ' : '',
      s.queue ? queueLink(s.queue) : s.id, s.queue ? ' (prefetch ' + s.prefetch + (s.unacked === undefined ? '' : ', unacked ' + s.unacked) + ')' : '']) : '–'),
    h('td', { class: 'num', text: bytes(c.bytesIn) }),
    h('td', { class: 'num', text: bytes(c.bytesOut) })))
  fill(document.getElementById('view'), 
    h('h2', { id: 'connections-title', text: 'Connections' }),
    h('div', { class: 'scroll' }, h('table', { id: 'connection-list', 'aria-labelledby': 'connections-title' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text', text: 'Connection' }), h('th', { class: 'text', text: 'Client' }), h('th', { class: 'text', text: 'Address' }),
        h('th', { text: 'Open for' }), h('th', { class: 'text', text: 'Subscriptions' }), h('th', { text: 'Bytes in' }), h('th', { text: 'Bytes out' }))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { class: 'empty', colspan: 7, text: 'no connections' }))))))
}

// ---- routing and polling ------------------------------------------------------------------
function stopPolling() { if (pollTimer) clearTimeout(pollTimer); pollTimer = null }

async function route(keepNotice) {
  stopPolling()
  if (!keepNotice) notice('', '')
  const hash = location.hash || '#/'
  const generation = view = {}
  const queueMatch = /^#\/queues\/(.+)$/.exec(hash)
  const messageState = { state: 'ready', offset: 0 }
  let first = true
  const tick = async () => {
    if (view !== generation) return
    try {
      const overview = await api('api/overview')
      if (view !== generation) return
      renderHeader(overview)
      if (queueMatch) {
        const name = decodeURIComponent(queueMatch[1])
        const data = await api('api/queues/' + encodeURIComponent(name))
        if (view !== generation) return
        document.title = name + ' · hubq'
        if (first) { renderQueue(name, data, messageState); loadMessages(name, messageState) } else updateQueue(name, data, messageState)
      } else if (hash === '#/connections') {
        const data = await api('api/connections')
        if (view !== generation) return
        document.title = 'connections · hubq'
        renderConnections(data)
      } else {
        document.title = 'hubq'
        renderOverview(overview)
      }
      first = false
    } catch (err) {
      if (view !== generation) return
      if (err.status === 401) return showSignIn(token() ? 'That token was not accepted: ' + err.message : '')
      if (err.status === 403 || err.status === 404) {
        fill(document.getElementById('view'), h('p', { role: 'alert', text: err.message }), h('p', {}, h('a', { href: '#/', text: '← All queues' })))
        return
      }
      const status = document.getElementById('status')
      status.textContent = 'broker unreachable (' + err.message + ')'
      status.className = 'offline'
    }
    pollTimer = setTimeout(tick, POLL_MS)
  }
  await tick()
}

/** A queue page's poll refreshes counts, charts, consumers and state labels, leaving the message list, any open form and focus alone. */
function updateQueue(name, data, state) {
  const live = document.getElementById('view')
  const fresh = document.createElement('div')
  renderQueue(name, data, state, fresh)
  for (const id of ['counts', 'queue-charts', 'consumers-table']) {
    const next = fresh.querySelector('#' + id)
    const now = live.querySelector('#' + id)
    if (next && now) now.replaceWith(next)
  }
  const labels = [...fresh.querySelectorAll('#state-buttons button[aria-pressed]')].map((b) => b.textContent)
  live.querySelectorAll('#state-buttons button[aria-pressed]').forEach((b, i) => { if (labels[i] !== undefined) b.textContent = labels[i] })
}

window.addEventListener('hashchange', () => route())
route()
`

export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>hubq</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>hubq <span id="version" class="muted"></span></h1>
  <nav aria-label="Console"><a href="#/">Overview</a><a href="#/connections">Connections</a></nav>
  <div class="muted"><span id="status">connecting…</span> · <span id="connections">0</span> connections · up <span id="uptime">0s</span> · updated <span id="updated">never</span></div>
  <div id="who"></div>
</header>
<main>
  <p id="notice" role="status" aria-live="polite"></p>
  <div id="view"></div>
</main>
<dialog id="confirm"></dialog>
<script>${SCRIPT}</script>
</body>
</html>
`
