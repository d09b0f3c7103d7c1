// The console's page for one queue (#/queues/NAME): counts, settings, charts, consumers, its
// messages page by page, and the publish, purge, redrive and drop actions, each confirmed first.

/** renderQueue, updateQueue (a poll's refresh), loadMessages, togglePublish and act. */
export const QUEUE_SCRIPT = String.raw`
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
`
