/** The live page in a real browser (Debian's Chromium): subscribe, receive, publish, escape, reconnect. */
import t from 'tap'
import { chromium, type Page } from 'playwright-core'
import { startApp, TestClient } from './helper.js'

const WAIT_MS = 15_000

const { app, url, wsUrl } = await startApp(t)
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
})
t.teardown(() => browser.close())
const page = await browser.newPage()
page.setDefaultTimeout(WAIT_MS)

/** Polls the server until GET /topics/:topic reports that many subscribers. */
async function waitForSubscribers (topic: string, count: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  let last: unknown
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/topics/${topic}`)
    last = response.ok ? (await response.json() as { subscribers: number }).subscribers : response.status
    if (last === count) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`topic ${topic} has ${String(last)} subscribers, not ${count}`)
}

async function publishText (topic: string, text: string): Promise<void> {
  const response = await fetch(`${url}/publish/${topic}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text })
  if (!response.ok) throw new Error(`POST /publish/${topic} answered ${response.status}: ${await response.text()}`)
}

/** The <li> in #messages whose .message text is exactly `text`, once it is there. */
async function messageItem (p: Page, text: string) {
  const item = p.locator('#messages li').filter({ has: p.locator('.message').getByText(text, { exact: true }) })
  await item.first().waitFor()
  return item
}

t.test('connects to the host it was served from', async (t) => {
  const socket = page.waitForEvent('websocket')
  await page.goto(url)
  t.equal((await socket).url(), wsUrl, 'the socket goes to the page\'s own host')
  await page.locator('#status[data-state="connected"]').waitFor()
  t.equal(await page.locator('#topic-input').inputValue(), 'booked', 'the topic input is prefilled')
  t.equal(await page.locator('#subscriptions li').count(), 0, 'no subscription on first load')
})

t.test('subscribes through the page and receives a booking published over HTTP', async (t) => {
  await page.locator('#subscribe-button').click()
  await page.locator('#subscriptions li[data-topic="booked"][data-state="active"]').waitFor()
  await waitForSubscribers('booked', 1)

  const booking = '1673254205340:2199:32925:en00030'
  await publishText('booked', booking)
  const item = await messageItem(page, booking)
  t.equal(await item.count(), 1, 'the booking shows once')
  t.equal(await item.locator('.topic').textContent(), 'booked')
  t.match(await item.locator('.time').textContent(), /\d{1,2}:\d{2}:\d{2}/, 'with the local receive time')
  t.equal(await page.locator('#messages li').first().locator('.message').textContent(), booking, 'newest first')
})

t.test('shows a message as text, never as HTML', async (t) => {
  const hostile = '<img src=x onerror="window.__xss=1">'
  await publishText('booked', hostile)
  const item = await messageItem(page, hostile)
  t.equal(await item.locator('.message').textContent(), hostile, 'the markup shows literally')
  t.equal(await page.locator('#messages img').count(), 0, 'no element was made from it')
  t.equal(await page.evaluate('typeof window.__xss'), 'undefined', 'no script ran')
})

t.test('publishes from the page to a WebSocket subscriber', async (t) => {
  const client = await TestClient.connect(t, wsUrl)
  t.equal((await client.request({ action: 'subscribe', topic: 'booked' })).action, 'subscribed')

  const message = 'from the page 1673254205399:2201:32927:en00032'
  await page.locator('#publish-topic').fill('booked')
  await page.locator('#publish-message').fill(message)
  await page.locator('#publish-button').click()

  const frame = await client.waitFor((f) => f.action === 'publish' && f.message === message, WAIT_MS)
  t.same(frame, { action: 'publish', topic: 'booked', message })
  await page.locator('#publish-result', { hasText: 'delivered to 2 subscribers' }).waitFor()
  await messageItem(page, message)

  client.socket.close()
  await waitForSubscribers('booked', 1)
})

t.test('lists the topics from GET /topics', async (t) => {
  // the table refreshes every 2 s: wait for the figures after the WebSocket client left
  const row = page.locator('#topics-table tbody tr[data-topic="booked"]')
    .filter({ has: page.locator('td:nth-child(2)', { hasText: /^1$/ }) })
    .filter({ has: page.locator('td:nth-child(3)', { hasText: /^3$/ }) })
  await row.waitFor()
  const cells = await row.locator('td').allTextContents()
  t.equal(cells[0], 'booked')
  t.equal(cells[1], '1', 'subscribers')
  t.equal(cells[2], '3', 'published')
  t.not(cells[4], '—', 'last published time')
})

t.test('reconnects after the server drops the socket, and resubscribes', async (t) => {
  // record every state #status goes through, so a short "reconnecting" is not missed
  await page.evaluate(`(() => {
    const status = document.getElementById('status')
    window.__states = []
    new MutationObserver(() => window.__states.push(status.dataset.state))
      .observe(status, { attributes: true, attributeFilter: ['data-state'] })
  })()`)
  t.equal(app.connections.open.size, 1, 'only the page is connected')
  for (const connection of app.connections.open) connection.close(1001, 'test')

  await page.waitForFunction('window.__states.includes("reconnecting") && document.getElementById("status").dataset.state === "connected"')
  const states = await page.evaluate('window.__states') as string[]
  t.ok(states.indexOf('reconnecting') < states.lastIndexOf('connected'), `went reconnecting, then connected: ${states.join(' > ')}`)

  await page.locator('#subscriptions li[data-topic="booked"][data-state="active"]').waitFor()
  await waitForSubscribers('booked', 1)
  const booking = '1673254205341:2200:32926:en00031'
  await publishText('booked', booking)
  const item = await messageItem(page, booking)
  t.equal(await item.locator('.topic').textContent(), 'booked', 'still receives booked after reconnecting')
})

t.test('unsubscribes through the page', async (t) => {
  await page.locator('#subscriptions li[data-topic="booked"] button').click()
  await waitForSubscribers('booked', 0)
  t.equal(await page.locator('#subscriptions li').count(), 0)
})
