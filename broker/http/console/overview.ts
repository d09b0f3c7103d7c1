// The console's overview (#/: every queue and topic, with charts of all queues) and its
// connection list (#/connections).

/** renderOverview(data): the #/ view. */
export const OVERVIEW_SCRIPT = String.raw`
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
`

/** renderConnections(data): the #/connections view. */
export const CONNECTIONS_SCRIPT = String.raw`
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
`
