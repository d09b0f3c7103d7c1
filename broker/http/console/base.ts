// The console script's common part: DOM and number helpers, the JSON API with its token, the
// notice line and the confirm dialog, SVG charts, the header and the sign-in form.

/** Plain browser JavaScript, shared by every view. */
export const BASE_SCRIPT = String.raw`
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
`
