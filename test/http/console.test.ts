// The console in a real headless Chromium (Debian's `chromium`, installed by .ci/run), driven
// the way a person uses it: by the names of links and buttons. Each test saves screenshots to a
// temp folder and prints where they are.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { TestClient } from '../helpers/broker.js'
import { authFrom } from '../hardening/helpers.js'
import { startObservedBroker, type ObservedBroker } from './helpers.js'

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
// The page polls once a second; a few polls are plenty even on a busy 2-core machine.
const UPDATE_TIMEOUT_MS = 10_000
const SHOTS = mkdtempSync(join(tmpdir(), 'hubq-console-'))

let browser: Browser
t.before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
})
t.teardown(() => browser.close())

async function open(t: Test, b: ObservedBroker, hash = '#/'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
  t.teardown(() => page.close())
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.setDefaultTimeout(UPDATE_TIMEOUT_MS)
  await page.goto(`${b.url}/${hash}`)
  return { page, errors }
}

async function shot(t: Test, page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  t.comment(`screenshot: ${path}`)
}

function queueRow(page: Page, queue: string): ReturnType<Page['locator']> {
  return page.locator(`#queues tr[data-queue="${queue}"]`)
}

async function broker(t: Test, auth?: ReturnType<typeof authFrom>): Promise<ObservedBroker> {
  const b = await startObservedBroker({ history: { intervalMs: 200 }, ...(auth ? { auth } : {}) })
  t.teardown(() => b.stop())
  return b
}

async function client(t: Test, b: ObservedBroker, token?: string): Promise<TestClient> {
  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  if (token) t.equal((await c.request({ op: 'hello', token, name: 'test' })).ok, true)
  return c
}

t.test('publishing moves the counts and the chart; fifo and dead-letter queues are marked and linked', async (t) => {
  const b = await broker(t)
  const c = await client(t, b)
  t.equal((await c.request({ op: 'declare', queue: 'jobs.dlq' })).ok, true)
  t.equal((await c.request({ op: 'declare', queue: 'jobs', maxReceives: 3, deadLetter: 'jobs.dlq' })).ok, true)
  t.equal((await c.request({ op: 'declare', queue: 'orders.fifo', fifo: true })).ok, true)
  t.equal((await c.request({ op: 'topic', topic: 'events' })).ok, true)
  t.equal((await c.request({ op: 'bind', topic: 'events', queue: 'jobs', filter: { kind: ['image', 'video'] } })).ok, true)
  const { page, errors } = await open(t, b)

  await page.getByRole('link', { name: 'jobs.dlq' }).first().waitFor()
  const chart = page.getByRole('img', { name: /^All queues — messages/ })
  await chart.waitFor()
  t.match(await chart.getAttribute('aria-label'), /ready 0\b/, 'the chart starts at zero ready')

  t.equal((await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: 1 }, { body: 2 }, { body: 3 }] })).ok, true)
  await queueRow(page, 'jobs').locator('td[data-field="ready"]', { hasText: /^3$/ }).waitFor()
  await page.getByRole('img', { name: /^All queues — messages: ready 3, in flight 0$/ }).waitFor()
  await page.getByRole('img', { name: /^All queues — per second: published\/s [1-9]/ }).waitFor()
  t.ok(Number(await chart.getAttribute('data-points')) >= 2, 'the chart has points over time')
  t.equal(await chart.locator('polyline[data-series="ready"]').count() >= 1, true, 'the ready line is drawn')

  t.equal(await queueRow(page, 'orders.fifo').locator('.badge', { hasText: 'fifo' }).count(), 1, 'fifo marked')
  t.equal(await queueRow(page, 'jobs.dlq').locator('.badge', { hasText: 'dead-letter' }).count(), 1, 'dead-letter queue marked')
  t.equal(await queueRow(page, 'jobs').locator('td[data-field="deadLetter"]').getByRole('link').textContent(), 'jobs.dlq', 'linked to its dead-letter queue')
  t.match(await page.locator('#topics tr[data-topic="events"]').textContent(), /jobs \(kind = image \| video\)/, 'topic binding with its filter')
  await shot(t, page, 'overview')
  t.same(errors, [], 'no script errors')
})

t.test('a queue page shows settings, consumers and a message body, paged', async (t) => {
  const b = await broker(t)
  const c = await client(t, b)
  t.equal((await c.request({ op: 'declare', queue: 'jobs', visibilityTimeout: 45 })).ok, true)
  const messages = Array.from({ length: 25 }, (_, i) => ({ body: { task: 'resize', n: i }, attrs: { kind: 'image' } }))
  t.equal((await c.request({ op: 'publish', queue: 'jobs', messages })).ok, true)
  const consumer = await client(t, b)
  t.equal((await consumer.request({ op: 'hello', name: 'resizer' })).ok, true)
  t.equal((await consumer.request({ op: 'subscribe', queue: 'jobs', prefetch: 2 })).ok, true)

  const { page, errors } = await open(t, b)
  await page.getByRole('link', { name: 'jobs', exact: true }).click()
  await page.getByRole('heading', { name: /^Queue jobs/ }).waitFor()
  await page.locator('#settings-title + dl').getByText('45s').waitFor()
  const consumers = page.getByRole('table', { name: 'Consumers' })
  await consumers.getByRole('cell', { name: /resizer/ }).waitFor()
  t.match(await consumers.locator('tbody tr').first().textContent(), /s\d+#\d+ resizer \(127\.0\.0\.1:\d+\)22/, 'subscription, connection, prefetch 2, unacked 2')

  const list = page.getByRole('table', { name: 'Messages' })
  await list.locator('pre.message-body').first().waitFor()
  t.match(await list.locator('pre.message-body').first().textContent(), /"task": "resize",\s+"n": 2/, 'the first ready message body (two are in flight)')
  t.match(await list.locator('tbody tr').first().textContent(), /kind = image/)
  t.equal(await list.locator('tbody tr').count(), 20, 'one page of 20')
  await page.getByRole('button', { name: 'Next page' }).click()
  await page.getByText('messages 21–23').waitFor()
  await page.getByRole('button', { name: /^In flight \(2\)/ }).click()
  await list.locator('pre.message-body', { hasText: '"n": 0' }).waitFor()
  t.equal(await page.getByRole('button', { name: /^In flight/ }).getAttribute('aria-pressed'), 'true')
  await shot(t, page, 'queue')
  t.same(errors, [], 'no script errors')
})

t.test('purge asks first: cancel keeps the messages, confirm purges them', async (t) => {
  const b = await broker(t)
  const c = await client(t, b)
  t.equal((await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: 'a' }, { body: 'b' }] })).ok, true)
  const { page, errors } = await open(t, b, '#/queues/jobs')
  await page.locator('#counts [data-field="ready"]', { hasText: /^2$/ }).waitFor()

  await page.getByRole('button', { name: 'Purge', exact: true }).click()
  const dialog = page.getByRole('dialog', { name: 'Purge queue jobs?' })
  await dialog.waitFor()
  await shot(t, page, 'purge-confirm')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await page.getByText('Purge cancelled').waitFor()
  t.equal((await c.request({ op: 'stats', queue: 'jobs' })).queues[0].ready, 2, 'nothing purged on cancel')

  await page.getByRole('button', { name: 'Purge', exact: true }).click()
  await dialog.getByRole('button', { name: 'Purge' }).click()
  await page.getByRole('status').getByText('purged 2 messages').waitFor()
  await page.locator('#counts [data-field="ready"]', { hasText: /^0$/ }).waitFor()
  t.equal((await c.request({ op: 'stats', queue: 'jobs' })).queues[0].ready, 0, 'purged')

  await page.getByRole('button', { name: 'Publish a message' }).click()
  await page.getByLabel('Body (JSON, or taken as text)').fill('{"hello": "console"}')
  await page.getByLabel('Attributes (name=value, comma separated)').fill('kind=test')
  await page.getByRole('button', { name: 'Publish', exact: true }).click()
  await page.getByRole('dialog', { name: 'Publish to jobs?' }).getByRole('button', { name: 'Publish' }).click()
  await page.getByRole('status').getByText(/^published /).waitFor()
  const got = await c.request({ op: 'receive', queue: 'jobs' })
  t.same([got.messages[0].body, got.messages[0].attrs], [{ hello: 'console' }, { kind: 'test' }], 'published from the console')
  t.same(errors, [], 'no script errors')
})

t.test('redrive on a dead-letter queue moves its messages back', async (t) => {
  const b = await broker(t)
  const c = await client(t, b)
  t.equal((await c.request({ op: 'declare', queue: 'jobs', maxReceives: 1, deadLetter: 'jobs.dlq' })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'jobs', body: 'poison' })).ok, true)
  const got = await c.request({ op: 'receive', queue: 'jobs' })
  t.equal((await c.request({ op: 'nack', receipt: got.messages[0].receipt })).ok, true)
  t.equal((await c.request({ op: 'stats', queue: 'jobs.dlq' })).queues[0].ready, 1, 'dead-lettered')

  const { page, errors } = await open(t, b)
  await page.getByRole('link', { name: 'jobs.dlq' }).first().click()
  await page.getByText('Dead-letter queue of').waitFor()
  t.equal(await page.getByRole('table', { name: 'Messages' }).locator('pre.message-body').first().textContent(), 'poison')
  await page.getByRole('button', { name: 'Redrive' }).click()
  await page.getByRole('dialog', { name: 'Redrive jobs.dlq?' }).getByRole('button', { name: 'Redrive' }).click()
  await page.getByRole('status').getByText('moved 1 messages back').waitFor()
  await shot(t, page, 'redrive')
  const stats = await c.request({ op: 'stats' })
  t.same(stats.queues.map((q: { queue: string; ready: number }) => [q.queue, q.ready]), [['jobs', 1], ['jobs.dlq', 0]])
  t.same(errors, [], 'no script errors')
})

t.test('with auth on: sign in with a token, see only its queues, a forbidden action is refused', async (t) => {
  const auth = authFrom({
    tokens: [
      { name: 'ops', token: 'ops-token-123456', admin: ['*'], publish: ['*'], consume: ['*'] },
      { name: 'viewer', token: 'viewer-token-1234', ops: ['stats', 'peek'], admin: ['jobs'] },
    ],
  })
  const b = await broker(t, auth)
  const c = await client(t, b, 'ops-token-123456')
  t.equal((await c.request({ op: 'publish', queue: 'jobs', body: 'visible' })).ok, true)
  t.equal((await c.request({ op: 'publish', queue: 'secret', body: 'hidden' })).ok, true)

  const { page, errors } = await open(t, b)
  const token = page.getByLabel('Token')
  await token.fill('not-a-token-at-all')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('alert').getByText(/not accepted: wrong token/).waitFor()
  await token.fill('viewer-token-1234')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText('signed in as viewer').waitFor()
  await queueRow(page, 'jobs').waitFor()
  t.equal(await queueRow(page, 'secret').count(), 0, 'a queue the token has no admin on is not shown')
  t.equal(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('hubq.token')), 'viewer-token-1234', 'kept for the tab')

  await page.getByRole('link', { name: 'jobs', exact: true }).click()
  await page.getByRole('table', { name: 'Messages' }).locator('pre.message-body', { hasText: 'visible' }).waitFor()
  await page.getByRole('button', { name: /^Purge/ }).click()
  await page.getByRole('dialog', { name: 'Purge queue jobs?' }).getByRole('button', { name: 'Purge' }).click()
  await page.getByRole('alert').getByText('Purge refused: token viewer may not use purge').waitFor()
  await shot(t, page, 'forbidden')
  t.equal((await c.request({ op: 'stats', queue: 'jobs' })).queues[0].ready, 1, 'nothing purged')

  await page.goto(`${b.url}/#/queues/secret`)
  await page.getByRole('alert').getByText(/no admin right on queue secret/).waitFor()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('Token').waitFor()
  t.same(errors, [], 'no script errors')
})
