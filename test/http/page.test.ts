// The live page in a real headless Chromium (Debian's `chromium`, installed by .ci/run): messages
// published over TCP show up in the page's tables on its next poll.
import t from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { TestClient } from '../helpers/broker.js'
import { startObservedBroker } from './helpers.js'

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
// The page polls once a second; a few polls are plenty even on a busy 2-core machine.
const UPDATE_TIMEOUT_MS = 10_000

// The functions given to waitForFunction and evaluateAll run in the page, where the DOM exists.
// The tests compile against Node's types (the DOM library would also retype Node's fetch), so
// the little of the DOM those functions touch is declared here, for this file only.
interface PageElement {
  readonly textContent: string | null
  readonly dataset: Readonly<Record<string, string | undefined>>
  querySelector(selectors: string): PageElement | null
}
declare const document: {
  getElementById(id: string): PageElement | null
  querySelector(selectors: string): PageElement | null
}

/** Waits until the queue's cell (by data-field) shows `value`. */
function cellShows(page: Page, queue: string, field: string, value: string): Promise<unknown> {
  return page.waitForFunction(
    ([q, f, v]) => document.querySelector(`tr[data-queue="${q}"] td[data-field="${f}"]`)?.textContent === v,
    [queue, field, value] as const,
    { timeout: UPDATE_TIMEOUT_MS },
  )
}

function cell(page: Page, queue: string, field: string): Promise<string | null> {
  return page.locator(`tr[data-queue="${queue}"] td[data-field="${field}"]`).textContent()
}

t.test('the live page shows queues and topics, and its counts follow publishes and acks', async (t) => {
  const b = await startObservedBroker({ history: { intervalMs: 200 } })
  t.teardown(() => b.stop())
  const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))

  await page.goto(`${b.url}/`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'healthy', undefined, { timeout: UPDATE_TIMEOUT_MS })
  t.equal(await page.locator('#queues td.empty').count(), 1, 'no queues yet')

  const c = await TestClient.connect(b.port)
  t.teardown(() => c.close())
  t.equal((await c.request({ op: 'publish', queue: 'jobs', messages: [{ body: 1 }, { body: 2 }, { body: 3 }] })).ok, true)

  // The poll after the publish shows the count and a publish rate measured against the one before.
  await page.waitForFunction(() => {
    const row = document.querySelector('tr[data-queue="jobs"]')
    const rate = Number(row?.querySelector('td[data-field="publishRate"]')?.textContent)
    return row?.querySelector('td[data-field="ready"]')?.textContent === '3' && rate > 0
  }, undefined, { timeout: UPDATE_TIMEOUT_MS })
  t.equal(await cell(page, 'jobs', 'published'), '3')
  t.match(await cell(page, 'jobs', 'oldestReadyAge'), /^\d+(\.\d)?s$/, 'oldest ready age shown')
  t.equal(await page.locator('#connections').textContent(), '1')

  const got = await c.request({ op: 'receive', queue: 'jobs', max: 2 })
  t.equal(got.messages.length, 2)
  await cellShows(page, 'jobs', 'inflight', '2')
  t.equal(await cell(page, 'jobs', 'ready'), '1')

  t.equal((await c.request({ op: 'ack', receipts: got.messages.map((m: { receipt: string }) => m.receipt) })).acked, 2)
  await cellShows(page, 'jobs', 'acked', '2')
  t.equal(await cell(page, 'jobs', 'inflight'), '0')

  t.equal((await c.request({ op: 'topic', topic: 'events' })).ok, true)
  t.equal((await c.request({ op: 'bind', topic: 'events', queue: 'audit' })).ok, true)
  await page.waitForFunction(
    () => document.querySelector('tr[data-topic="events"] td[data-field="bindings"]')?.textContent === 'audit',
    undefined, { timeout: UPDATE_TIMEOUT_MS },
  )
  t.same(await page.locator('#queues tbody tr').evaluateAll((rows) => rows.map((r) => (r as PageElement).dataset.queue)), ['audit', 'jobs'])
  t.same(pageErrors, [], 'no script errors on the page')
})
