// GET /: the console. One HTML page with its style and script inline, nothing to build and
// nothing fetched from elsewhere (the Content-Security-Policy in server.ts forbids it). It reads
// the JSON endpoints of api.ts, polls once a second, and draws its charts as SVG itself. Every
// name and body is set with textContent, so a queue called "<script>" is shown, never run.
// Views are chosen by the URL's hash: #/ (overview), #/queues/NAME, #/connections. This file
// routes between them and polls; the views and their shared parts are in console/.
import { STYLE } from './console/style.js'
import { BASE_SCRIPT } from './console/base.js'
import { CONNECTIONS_SCRIPT, OVERVIEW_SCRIPT } from './console/overview.js'
import { QUEUE_SCRIPT } from './console/queue.js'

/** route(): draws the view the hash names, then polls it once a second until the hash changes. */
const ROUTING_SCRIPT = String.raw`
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

window.addEventListener('hashchange', () => route())
route()
`

const SCRIPT = BASE_SCRIPT + OVERVIEW_SCRIPT + QUEUE_SCRIPT + CONNECTIONS_SCRIPT + ROUTING_SCRIPT

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
